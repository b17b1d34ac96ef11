import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { readModelContract } from '../contracts/readModelContract.ts';

readModelContract('in-memory', async () => ({ readModel: createMemoryOrderReadModel() }));
