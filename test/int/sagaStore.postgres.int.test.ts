import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { sagaStoreContract } from '../contracts/sagaStoreContract.ts';
import { freshPgSchema } from '../support/postgres.ts';

sagaStoreContract('PostgreSQL', async () => {
  const { sql, dispose } = await freshPgSchema();
  const store = await createSqlSagaStore(sql);
  return { store, dispose };
});
