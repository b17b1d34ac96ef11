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
  /** How other processes on the same database and schema are told something; absent where no other process can share it (PGlite). */
  notifications?: SqlNotifications;
  close(): Promise<void>;
}

/** PostgreSQL's LISTEN / NOTIFY, scoped to the client's schema so that tenants and tests on one server do not hear each other. */
export interface SqlNotifications {
  /** The channel `pg_notify` takes for `name` on this client's schema. */
  channel(name: string): string;
  /**
   * Calls `onNotify` with the payload of every notification on `name` until the returned stop is
   * called. A lost connection is made again in the background; what was sent meanwhile is missed,
   * so a listener treats a notification as a hint, never as the only way it learns something.
   */
  listen(name: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
}

/** PostgreSQL's SQLSTATE for a unique violation. */
export const UNIQUE_VIOLATION = '23505';

export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
