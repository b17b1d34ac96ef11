import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlQueryable } from '../../runtime/sqlClient.ts';

type PgliteLike = { query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }> };

const wrap = (db: PgliteLike): SqlQueryable => ({
  async query<TRow>(text: string, params: readonly unknown[] = []) {
    const result = await db.query<TRow>(text, [...params]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  },
});

/**
 * PostgreSQL in WebAssembly, in-process: the embedded default's database. `dataDir` undefined
 * keeps it in memory (tests); a path persists it across restarts.
 */
export async function createPgliteClient(dataDir?: string): Promise<SqlClient> {
  const db = await PGlite.create(dataDir);
  return {
    ...wrap(db),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: () => db.close(),
  };
}
