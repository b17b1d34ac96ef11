import type { SqlClient } from './sqlClient.ts';

/**
 * Applies idempotent DDL statements in one transaction under an advisory lock, so that processes
 * starting together on one database do not race each other's `create … if not exists`.
 */
export async function migrate(sql: SqlClient, lockKey: number, statements: readonly string[]): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [lockKey]);
    for (const statement of statements) await tx.query(statement);
  });
}
