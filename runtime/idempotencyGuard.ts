/**
 * The participants' fast idempotency guard (Redis in production). It remembers the outcome of
 * an operation so a redelivered command is answered without touching the database; the
 * participant's own table, with a unique key per operation, stays the durable truth. The guard is
 * an accelerator: a guard that cannot answer says "not known" and the table decides
 * (`degradingIdempotencyGuard`).
 */
export interface IdempotencyGuard {
  /** The remembered outcome of `key`; `undefined` when none is, or when the guard cannot tell. */
  recall(key: string): Promise<string | undefined>;
  /** Remembers `outcome` unless the key is already set (SET NX); whether it was set by this call. */
  remember(key: string, outcome: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}
