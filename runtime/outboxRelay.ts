import { startBackgroundLoop, type BackgroundLoop } from './backgroundLoop.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { MessageBus } from './messageBus.ts';
import { noRuntimeMetrics, type RuntimeMetrics } from './runtimeMetrics.ts';
import type { OutboxRecord, SagaStore } from './sagaStore.ts';

export type OutboxRelay = Readonly<{
  /** Sweeps the outbox in the background; one sweeping loop per process at the most. */
  start(): BackgroundLoop;
  /**
   * Sweeps everything pending now, whatever its age; does nothing until started. Rows a writer is
   * publishing at that moment go out twice, so writers hand their rows to `dispatch` instead.
   */
  wake(): void;
  /** Publishes records this process has just committed, then marks them published (the marks of `markDelayMs` together). */
  dispatch(records: readonly OutboxRecord[]): void;
  /** Publishes everything pending, whatever its age, and resolves when the outbox is empty. */
  publishPending(): Promise<number>;
  /** Resolves once every record handed to `dispatch` so far was published and marked, or left to the sweep. */
  idle(): Promise<void>;
}>;

/**
 * Gets committed outbox rows onto the bus, marking them published after. The process that
 * committed rows publishes them at once (`dispatch`), in its commit order; the sweep, run by one
 * process of the system, publishes the rows nobody did: those of a writer that died or failed to
 * publish, once they are `sweepAfterMs` old, and all of them on its first round (rows of writers
 * that stopped before it started). Every writer, the timer scheduler included, dispatches its own
 * rows: a sweep of young rows would publish rows their writer is publishing too. A crash between
 * publish and mark publishes a row again; every consumer drops the duplicate by message id.
 *
 * A writer's rows are marked published up to `markDelayMs` after their publish, with the rows
 * published meanwhile: at low load a writer publishes one message at a time, and a mark per
 * publish was a statement per message. The delay is far below the sweep's `sweepAfterMs`, so the
 * sweep never meets a row whose mark is only waiting; a crash in between publishes those rows again.
 */
export function createOutboxRelay(options: {
  store: SagaStore;
  bus: MessageBus;
  batchSize?: number;
  idleMs?: number;
  sweepAfterMs?: number;
  markDelayMs?: number;
  logger?: Logger;
  metrics?: Pick<RuntimeMetrics, 'outboxPublished'>;
}): OutboxRelay {
  const batchSize = options.batchSize ?? 2000;
  const sweepAfterMs = options.sweepAfterMs ?? 5000;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noRuntimeMetrics;
  const markDelayMs = options.markDelayMs ?? 100;
  let sweeping: Promise<number> | undefined;
  let sweepAll = true;

  // The writer path's marks wait here for `markDelayMs`, or until a batch of them gathered.
  let unmarked: string[] = [];
  let markTimer: NodeJS.Timeout | undefined;
  let marking: Promise<void> | undefined;

  /** Marks every published row waiting for it, one mark statement at a time. */
  async function markWaiting(): Promise<void> {
    clearTimeout(markTimer);
    markTimer = undefined;
    while (marking) await marking;
    if (unmarked.length === 0) return;
    const ids = unmarked;
    unmarked = [];
    // Left unmarked on failure: the sweep publishes them again once they are old enough.
    marking = options.store
      .markPublished(ids)
      .catch((error: unknown) => logger.warn({ rows: ids.length, err: error }, 'outbox relay: marking published rows failed, the sweep publishes them again'))
      .finally(() => (marking = undefined));
    await marking;
  }

  function markSoon(ids: readonly string[]): void {
    unmarked.push(...ids);
    if (unmarked.length >= batchSize) void markWaiting();
    else markTimer ??= setTimeout(() => void markWaiting(), markDelayMs);
  }

  async function publish(records: readonly OutboxRecord[], path: 'writer' | 'sweep'): Promise<void> {
    await options.bus.publish(records.map((r) => r.envelope));
    if (path === 'writer') markSoon(records.map((r) => r.id));
    else await options.store.markPublished(records.map((r) => r.id));
    metrics.outboxPublished(path, records.length);
  }

  async function sweepBatch(all: boolean): Promise<number> {
    const records = await options.store.pendingOutbox(batchSize, all ? {} : { olderThanMs: sweepAfterMs });
    if (records.length > 0) await publish(records, 'sweep');
    return records.length;
  }

  async function idle(): Promise<void> {
    while (dispatching) await dispatching;
    await markWaiting();
  }

  /** One sweep round at a time: two overlapping rounds could publish out of order. */
  async function sweepOnce(all: boolean): Promise<number> {
    while (sweeping) await sweeping.catch(() => 0);
    sweeping = sweepBatch(all).finally(() => (sweeping = undefined));
    return sweeping;
  }

  // Dispatches run one after the other, each taking everything queued meanwhile: commit order is kept.
  const queued: OutboxRecord[] = [];
  let dispatching: Promise<void> | undefined;
  async function drain(): Promise<void> {
    try {
      while (queued.length > 0) {
        const records = queued.splice(0, batchSize);
        // Left unmarked on failure: the sweep publishes them once they are old enough.
        await publish(records, 'writer').catch((error: unknown) => logger.warn({ rows: records.length, err: error }, 'outbox relay: publishing failed, the sweep retries'));
      }
    } finally {
      dispatching = undefined;
    }
  }

  let loop: BackgroundLoop | undefined;
  const wake = () => {
    sweepAll = true;
    loop?.wake();
  };

  return {
    start() {
      if (loop) throw new Error('the outbox relay is already running');
      // The first round sweeps everything: rows of writers that stopped before this process started.
      sweepAll = true;
      const started = startBackgroundLoop(
        'outbox relay',
        async () => {
          const all = sweepAll;
          sweepAll = false;
          return { more: (await sweepOnce(all)) === batchSize };
        },
        { idleMs: options.idleMs ?? 250, logger },
      );
      loop = started;
      return {
        wake,
        async stop() {
          loop = undefined;
          await started.stop();
        },
      };
    },
    wake,
    dispatch(records) {
      queued.push(...records);
      dispatching ??= drain();
    },
    idle,
    async publishPending() {
      // Rows this process published but has not marked yet are not pending.
      await idle();
      let total = 0;
      for (let n = await sweepOnce(true); n > 0; n = await sweepOnce(true)) total += n;
      return total;
    },
  };
}
