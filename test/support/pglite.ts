import { afterAll } from 'vitest';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';

let shared: Promise<SqlClient> | undefined;

/**
 * One in-memory PGlite per test file, emptied for each test: starting PGlite takes seconds,
 * dropping a schema takes milliseconds. `close` on the returned client is a no-op.
 */
export async function freshPglite(): Promise<SqlClient> {
  if (!shared) {
    shared = createPgliteClient();
    afterAll(async () => (await shared!).close());
  }
  const sql = await shared;
  await sql.query('drop schema if exists public cascade');
  await sql.query('create schema public');
  return { ...sql, query: sql.query, transaction: sql.transaction, close: async () => undefined };
}
