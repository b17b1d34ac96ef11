import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { sagaStoreContract } from '../contracts/sagaStoreContract.ts';
import { freshPglite } from '../support/pglite.ts';

sagaStoreContract('PGlite', async () => {
  const store = await createSqlSagaStore(await freshPglite());
  return { store, dispose: () => store.close() };
});
