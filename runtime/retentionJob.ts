import { startBackgroundLoop, type BackgroundLoop } from './backgroundLoop.ts';
import { isoNow, type Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import type { PrunedRows, RetentionPolicy, SagaStore } from './sagaStore.ts';

export type RetentionJob = Readonly<{
  /** Prunes in the background, every `intervalMs`, and batch after batch while there is a backlog. */
  start(): BackgroundLoop;
  /** One bounded batch per table, at the clock's time. */
  pruneOnce(): Promise<PrunedRows>;
  /** What this job deleted since it was created. */
  totals(): PrunedRows;
}>;

const hasBacklog = (pruned: PrunedRows, batchSize: number) => Object.values(pruned).some((n) => n >= batchSize);

/**
 * Keeps the housekeeping tables flat: published outbox rows, applied message ids and the
 * idempotency keys of finished sagas go once their window has passed (`SagaStore.prune`). It runs
 * in the relay's leader, so one process of the system prunes at a time.
 */
export function createRetentionJob(options: {
  store: Pick<SagaStore, 'prune'>;
  policy: RetentionPolicy;
  clock: Clock;
  intervalMs: number;
  logger?: Logger;
}): RetentionJob {
  const totals = { publishedOutbox: 0, appliedMessageIds: 0, idempotencyKeys: 0 };

  async function pruneOnce(): Promise<PrunedRows> {
    const pruned = await options.store.prune(options.policy, isoNow(options.clock));
    for (const table of Object.keys(totals) as (keyof PrunedRows)[]) totals[table] += pruned[table];
    return pruned;
  }

  return {
    // A backlog (the first run after an upgrade) goes batch after batch; the loop lets other work in between.
    start: () =>
      startBackgroundLoop('retention', async () => ({ more: hasBacklog(await pruneOnce(), options.policy.batchSize) }), {
        idleMs: options.intervalMs,
        logger: options.logger,
      }),
    pruneOnce,
    totals: () => ({ ...totals }),
  };
}
