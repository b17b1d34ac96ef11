import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { sagaStoreContract } from '../contracts/sagaStoreContract.ts';
import { sagaStoreRetentionContract } from '../contracts/sagaStoreRetentionContract.ts';
import { freshPgSchema } from '../support/postgres.ts';

const postgresStore = async () => {
  const { sql, dispose } = await freshPgSchema();
  const store = await createSqlSagaStore(sql);
  return { store, dispose };
};

sagaStoreContract('PostgreSQL', postgresStore);
sagaStoreRetentionContract('PostgreSQL', postgresStore);
