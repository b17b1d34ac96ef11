/**
 * The slice of a SQL connection the stores need. PGlite and `pg` both implement it, so one
 * set of SQL statements serves the embedded default and PostgreSQL alike.
 */
export interface SqlQueryable {
  query<TRow = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: TRow[]; rowCount: number }>;
}

export interface SqlClient extends SqlQueryable {
  /** Runs `work` in one transaction; it commits if `work` resolves and rolls back if it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL's SQLSTATE for a unique violation. */
export const UNIQUE_VIOLATION = '23505';

export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
