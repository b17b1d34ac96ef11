import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { sagaStoreContract } from '../contracts/sagaStoreContract.ts';
import { sagaStoreRetentionContract } from '../contracts/sagaStoreRetentionContract.ts';
import { freshPglite } from '../support/pglite.ts';

const pgliteStore = async () => {
  const store = await createSqlSagaStore(await freshPglite());
  return { store, dispose: () => store.close() };
};

sagaStoreContract('PGlite', pgliteStore);
sagaStoreRetentionContract('PGlite', pgliteStore);
