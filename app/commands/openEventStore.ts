import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import type { Config } from '../config.ts';

/** Opens only the event store of the configured mode: commands that read or trim it need no bus, read model or guard. */
export async function openEventStore(config: Config): Promise<SagaStore> {
  if (config.mode === 'production') {
    const { createPgClient } = await import('../../adapters/postgres/pgClient.ts');
    const sql = await createPgClient({ connectionString: config.production!.pgUrl, schema: config.production!.pgSchema, maxConnections: 2 });
    return createSqlSagaStore(sql, { migrate: false });
  }
  const { createPgliteClient } = await import('../../adapters/pglite/pgliteClient.ts');
  return createSqlSagaStore(await createPgliteClient(config.dataDir));
}
