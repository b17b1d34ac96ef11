import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { messageBusContract } from '../contracts/messageBusContract.ts';

messageBusContract('in-memory', async () => createMemoryMessageBus({ partitions: 4, retryDelayMs: 10 }));
