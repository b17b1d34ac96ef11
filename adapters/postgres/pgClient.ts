import pg from 'pg';
import type { SqlClient, SqlQueryable } from '../../runtime/sqlClient.ts';

export type PgClientOptions = Readonly<{
  connectionString: string;
  /** Tables live in this schema (created if missing), so tests and tenants do not collide. */
  schema?: string;
  maxConnections?: number;
}>;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const wrap = (client: pg.Pool | pg.PoolClient): SqlQueryable => ({
  async query<TRow>(text: string, params: readonly unknown[] = []) {
    const result = await client.query(text, [...params]);
    return { rows: result.rows as TRow[], rowCount: result.rowCount ?? 0 };
  },
});

/** PostgreSQL over the wire through a `pg` pool. */
export async function createPgClient(options: PgClientOptions): Promise<SqlClient> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`Invalid schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 8,
    options: `-c search_path=${schema}`,
  });
  if (schema !== 'public') {
    // Processes starting together would race on `create schema`; the advisory lock serialises them.
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(7100000)');
      await client.query(`create schema if not exists ${schema}`);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  return {
    ...wrap(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(wrap(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      if (!SCHEMA_NAME.test(channel)) throw new Error(`Invalid channel name: ${channel}`);
      // LISTEN needs a connection of its own for as long as it listens, outside the pool.
      const client = new pg.Client({ connectionString: options.connectionString });
      await client.connect();
      client.on('notification', onNotify);
      client.on('error', () => undefined);
      await client.query(`listen ${channel}`);
      return () => client.end();
    },
    close: () => pool.end(),
  };
}
