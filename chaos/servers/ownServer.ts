/**
 * A server that one run owns outright: its own data directory and its own ports on 127.0.0.1, so
 * that a fault (a hard stop, a restart, a pause) never reaches the machine's shared servers or
 * another run's. The chaos run and the fault regression tests start one of each kind they fault.
 */
export interface OwnServer {
  /** `postgres`, `redis`, `kafka` or `elasticsearch`. */
  readonly kind: string;
  /** How clients reach it: a URL (`postgres://…`, `redis://…`, `http://…`) or, for Kafka, `host:port`. */
  readonly address: string;
  /** The server's process id while it runs (the JVM or the postmaster), for SIGSTOP/SIGCONT. */
  pid(): number | undefined;
  /** Starts it (again) on the same data and ports; resolves once it serves clients. */
  start(): Promise<void>;
  /**
   * Stops it. `hard`: SIGKILL, no clean shutdown (for PostgreSQL: `pg_ctl stop -m immediate`);
   * otherwise its own clean/fast shutdown (PostgreSQL: `-m fast`, which ends open sessions).
   */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Stops it and deletes its data directory. */
  dispose(): Promise<void>;
}
