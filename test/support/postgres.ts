import pg from 'pg';
import { createPgClient } from '../../adapters/postgres/pgClient.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { uniqueName } from './messages.ts';

/** The PostgreSQL the integration tests use: the machine's server unless XSAGA_TEST_PG_URL says otherwise. */
export const TEST_PG_URL = process.env.XSAGA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A client on a fresh schema of the real server; `dispose` drops the schema. */
export async function freshPgSchema(prefix = 'xsaga_test'): Promise<{ sql: SqlClient; schema: string; dispose: () => Promise<void> }> {
  const schema = uniqueName(prefix).toLowerCase();
  const sql = await createPgClient({ connectionString: TEST_PG_URL, schema });
  return {
    sql,
    schema,
    async dispose() {
      await sql.close();
      const admin = new pg.Client({ connectionString: TEST_PG_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}
