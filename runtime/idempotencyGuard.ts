/**
 * The participants' fast idempotency guard (Redis in production). It remembers the outcome of
 * an operation so a redelivered command is answered without touching the database; the
 * participant's own table, with a unique key per operation, stays the durable truth.
 */
export interface IdempotencyGuard {
  /** The remembered outcome of `key`, if any. */
  recall(key: string): Promise<string | undefined>;
  /** Remembers `outcome` unless the key is already set (SET NX); returns whether it was set. */
  remember(key: string, outcome: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}
