import { createMemoryViewStore } from '../../adapters/memory/memoryViewStore.ts';
import { viewStoreContract } from '../contracts/viewStoreContract.ts';
import { ticketViewSpec } from '../fixtures/ticketView.ts';

viewStoreContract('in-memory', async () => ({ store: createMemoryViewStore(ticketViewSpec) }));
