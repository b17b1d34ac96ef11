import { systemClock, type Clock } from './clock.ts';
import type { IdempotencyGuard } from './idempotencyGuard.ts';
import { silentLogger, type Logger } from './logger.ts';

/**
 * The fast guard as an accelerator: when its store fails, the guard costs speed, never
 * availability. It only spares the participants a read of their own tables, where the unique
 * (order, operation) key is the guard that holds, so while the store is away `recall` answers
 * "not known" (the participant reads its table), `remember` is skipped, and the store is not asked
 * at all for `retryAfterMs` after a failure: a store that hangs would otherwise cost every batch
 * its command timeout. The first call after that asks it again.
 *
 * @example
 * const guard = degradingIdempotencyGuard(createRedisGuard(url), { retryAfterMs: 2000, logger });
 */
export function degradingIdempotencyGuard(
  guard: IdempotencyGuard,
  options: { retryAfterMs?: number; clock?: Clock; logger?: Logger } = {},
): IdempotencyGuard {
  const retryAfterMs = options.retryAfterMs ?? 2000;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  let askAgainAt = 0;
  let away = false;

  async function ask<T>(call: () => Promise<T>, unknown: T): Promise<T> {
    if (clock.now() < askAgainAt) return unknown;
    try {
      const answer = await call();
      if (away) logger.info('idempotency guard: its store answers again');
      away = false;
      return answer;
    } catch (error) {
      askAgainAt = clock.now() + retryAfterMs;
      if (!away) logger.warn({ err: error }, "idempotency guard: its store failed; the participants' own tables answer until it is back");
      away = true;
      return unknown;
    }
  }

  return {
    recall: (key) => ask(() => guard.recall(key), undefined),
    remember: (key, outcome, ttlMs) => ask(() => guard.remember(key, outcome, ttlMs), false),
    close: () => guard.close(),
  };
}
