import { Redis } from 'ioredis';
import { degradingIdempotencyGuard } from '../../runtime/degradingIdempotencyGuard.ts';
import type { IdempotencyGuard } from '../../runtime/idempotencyGuard.ts';
import type { Logger } from '../../runtime/logger.ts';

export type RedisIdempotencyGuardOptions = Readonly<{
  url: string;
  keyPrefix?: string;
  /** A command not answered in this time fails, and the guard answers without Redis. */
  commandTimeoutMs?: number;
  /** After a failure, Redis is not asked again for this long. */
  retryAfterMs?: number;
  logger?: Logger;
}>;

/** How the guard's connection is named in `CLIENT LIST`. */
export const REDIS_GUARD_CONNECTION_NAME = 'xsaga-idempotency-guard';

/**
 * The production guard: Redis `SET key value NX PX ttl`, shared by every participant process.
 * Redis is an accelerator, not the guard that holds (the participants' tables are): while it is
 * down or slow, commands fail at once or after `commandTimeoutMs` instead of queueing until it is
 * back, and the guard answers "not known" (`degradingIdempotencyGuard`). It connects on first use,
 * so a process whose roles never ask it never connects to Redis.
 */
export function createRedisIdempotencyGuard(options: RedisIdempotencyGuardOptions): IdempotencyGuard {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix ?? 'xsaga:',
    connectionName: REDIS_GUARD_CONNECTION_NAME,
    lazyConnect: true,
    // Auto-pipelining sends the GETs (or SETs) of a whole batch, issued in one tick, in one write.
    enableAutoPipelining: true,
    // No queueing while disconnected, no resending after a reconnect: a command fails, and the guard answers without Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // The degrading guard tells of an outage once; ioredis would print every failed reconnect.
  redis.on('error', () => undefined);
  let connected: Promise<void> | undefined;
  const firstConnection = () => (connected ??= redis.connect().then(
    () => undefined,
    () => undefined,
  ));

  const guard: IdempotencyGuard = {
    async recall(key) {
      await firstConnection();
      return (await redis.get(key)) ?? undefined;
    },
    async remember(key, outcome, ttlMs) {
      await firstConnection();
      return (await redis.set(key, outcome, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async close() {
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
  return degradingIdempotencyGuard(guard, { retryAfterMs: options.retryAfterMs, logger: options.logger });
}
