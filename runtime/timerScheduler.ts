import { startBackgroundLoop, type BackgroundLoop } from './backgroundLoop.ts';
import { isoNow, type Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import { timerFiredEnvelope } from './machineEvent.ts';
import type { OutboxRecord, SagaStore } from './sagaStore.ts';

export type TimerScheduler = Readonly<{
  /** Starts firing due timers in the background. */
  start(): BackgroundLoop;
  /** Fires the timers due now; resolves to how many fired. */
  fireDue(): Promise<number>;
}>;

/**
 * Fires durable timers: each due row is deleted and turned into an inbox message in the same
 * transaction, so a timer fires once across restarts. A timer whose state was left was already
 * deleted by that transition's commit.
 */
export function createTimerScheduler(options: {
  store: SagaStore;
  inboxTopic: string;
  clock: Clock;
  /** Handed the outbox records of the timers that fired, once committed: their writer publishes them. */
  onFired?: (fired: readonly OutboxRecord[]) => void;
  batchSize?: number;
  idleMs?: number;
  logger?: Logger;
}): TimerScheduler {
  const batchSize = options.batchSize ?? 1000;
  const idleMs = options.idleMs ?? 500;

  async function fireDue(): Promise<number> {
    const fired = await options.store.fireDueTimers(isoNow(options.clock), batchSize, (streamId, timer) =>
      timerFiredEnvelope(options.inboxTopic, streamId, timer),
    );
    if (fired.length > 0) options.onFired?.(fired);
    return fired.length;
  }

  return {
    start() {
      const loop = startBackgroundLoop(
        'timer scheduler',
        async () => {
          const fired = await fireDue();
          if (fired === batchSize) return { more: true };
          const next = await options.store.nextTimerDue();
          return { more: false, idleMs: next ? Date.parse(next) - options.clock.now() : idleMs };
        },
        { idleMs, logger: options.logger },
      );
      // A clock moved by hand (a test's) may have made timers due: look now, not at the next poll.
      const unsubscribe = options.clock.onMoved?.(() => loop.wake());
      // A timer armed to be due before the next look (a retry's backoff) wakes the loop when it is due.
      let wakeTimer: NodeJS.Timeout | undefined;
      let wakeAtMs = Infinity;
      const wakeWhenDue = (dueAt: string) => {
        const dueMs = Date.parse(dueAt);
        const delayMs = dueMs - options.clock.now();
        if (delayMs <= 0) return loop.wake();
        if (delayMs > idleMs || dueMs >= wakeAtMs) return;
        clearTimeout(wakeTimer);
        wakeAtMs = dueMs;
        wakeTimer = setTimeout(() => {
          wakeAtMs = Infinity;
          loop.wake();
        }, delayMs);
      };
      const watching = options.store.watchArmedTimers(wakeWhenDue).catch((error: unknown) => {
        options.logger?.warn({ err: error }, 'timer scheduler: cannot hear of timers armed elsewhere; it finds them when it looks');
        return async () => undefined;
      });
      return {
        wake: loop.wake,
        async stop() {
          unsubscribe?.();
          await (await watching)();
          clearTimeout(wakeTimer);
          await loop.stop();
        },
      };
    },
    fireDue,
  };
}
