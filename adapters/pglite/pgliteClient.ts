import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlQueryable } from '../../runtime/sqlClient.ts';

type PgliteLike = { query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }> };

const wrap = (db: PgliteLike): SqlQueryable => ({
  async query<TRow>(text: string, params: readonly unknown[] = []) {
    const result = await db.query<TRow>(text, [...params]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  },
});

let inMemoryStart: Blob | undefined;

/**
 * Starts every later in-memory client of this process from `dump` (`emptyClusterDump`) instead of
 * creating its cluster: about a second instead of four. Meant for test runs, which start an
 * in-memory database for nearly every file; a data directory on disk is created once and kept.
 */
export function startInMemoryClientsFrom(dump: Blob): void {
  inMemoryStart = dump;
}

/** The data directory of a cluster as PGlite creates it, nothing written to it, for `startInMemoryClientsFrom`. */
export async function emptyClusterDump(): Promise<Blob> {
  const db = await PGlite.create();
  try {
    return await db.dumpDataDir('none');
  } finally {
    await db.close();
  }
}

/**
 * PostgreSQL in WebAssembly, in-process: the embedded default's database. `dataDir` undefined
 * keeps it in memory (tests); a path persists it across restarts.
 */
export async function createPgliteClient(dataDir?: string): Promise<SqlClient> {
  const db = dataDir === undefined && inMemoryStart ? await PGlite.create({ loadDataDir: inMemoryStart }) : await PGlite.create(dataDir);
  return {
    ...wrap(db),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: () => db.close(),
  };
}
