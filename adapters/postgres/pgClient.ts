import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SqlClient, SqlQueryable } from '../../runtime/sqlClient.ts';

export type PgClientOptions = Readonly<{
  connectionString: string;
  /** Tables live in this schema (created if missing), so tests and tenants do not collide. */
  schema?: string;
  maxConnections?: number;
}>;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const statementNames = new Map<string, string>();

/**
 * Statements with parameters run as named prepared statements: PostgreSQL parses and plans each
 * once per connection instead of on every call, which halves the cost of a batch's commit
 * statement (0.9 → 0.4 ms measured). Their texts come from a bounded set (none inlines a value).
 */
function prepared(text: string, params: readonly unknown[]): pg.QueryConfig {
  if (params.length === 0) return { text };
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `xsaga_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values: [...params] };
}

const wrap = (client: pg.Pool | pg.PoolClient): SqlQueryable => ({
  async query<TRow>(text: string, params: readonly unknown[] = []) {
    const result = await client.query(prepared(text, params));
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
    close: () => pool.end(),
  };
}
