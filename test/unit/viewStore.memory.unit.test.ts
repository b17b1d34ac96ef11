import { createMemoryViewStore } from '../../adapters/memory/memoryViewStore.ts';
import { viewStoreContract } from '../contracts/viewStoreContract.ts';
import { claimViewSpec } from '../fixtures/claimView.ts';

viewStoreContract('in-memory', async () => ({ store: createMemoryViewStore(claimViewSpec) }));
