import { startBackgroundLoop, type BackgroundLoop } from './backgroundLoop.ts';
import type { MessageBus } from './messageBus.ts';
import type { SagaStore } from './sagaStore.ts';

export type OutboxRelay = Readonly<{
  /** Starts publishing in the background; one relay loop per process at the most. */
  start(): BackgroundLoop;
  /** Publishes now instead of at the next poll; does nothing until started. */
  wake(): void;
  /** Publishes everything pending and resolves when the outbox is empty. */
  publishPending(): Promise<number>;
}>;

/**
 * Publishes committed outbox rows to the bus in commit order, then marks them published. A crash
 * between the two publishes a row again; every consumer drops the duplicate by message id.
 */
export function createOutboxRelay(options: {
  store: SagaStore;
  bus: MessageBus;
  batchSize?: number;
  idleMs?: number;
  log?: (message: string) => void;
}): OutboxRelay {
  const batchSize = options.batchSize ?? 2000;
  let publishing: Promise<number> | undefined;

  async function publishBatch(): Promise<number> {
    const records = await options.store.pendingOutbox(batchSize);
    if (records.length === 0) return 0;
    await options.bus.publish(records.map((r) => r.envelope));
    await options.store.markPublished(records.map((r) => r.id));
    return records.length;
  }

  /** One relay round at a time: two overlapping rounds could publish out of order. */
  function publishOnce(): Promise<number> {
    publishing ??= publishBatch().finally(() => (publishing = undefined));
    return publishing;
  }

  let loop: BackgroundLoop | undefined;

  return {
    start() {
      if (loop) throw new Error('the outbox relay is already running');
      const started = startBackgroundLoop('outbox relay', async () => ({ more: (await publishOnce()) === batchSize }), {
        idleMs: options.idleMs ?? 250,
        log: options.log,
      });
      loop = started;
      return {
        wake: started.wake,
        async stop() {
          loop = undefined;
          await started.stop();
        },
      };
    },
    wake: () => loop?.wake(),
    async publishPending() {
      let total = 0;
      for (let n = await publishOnce(); n > 0; n = await publishOnce()) total += n;
      return total;
    },
  };
}
