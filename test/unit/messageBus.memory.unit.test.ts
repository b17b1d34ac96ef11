import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { messageBusContract } from '../contracts/messageBusContract.ts';

messageBusContract('in-memory', async () => createMemoryMessageBus({ partitions: 4, retryDelayMs: 10 }));
messageBusContract('in-memory, partitions merged per batch', async () => createMemoryMessageBus({ partitions: 4, retryDelayMs: 10, mergePartitions: true }));
