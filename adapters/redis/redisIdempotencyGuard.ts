import { Redis } from 'ioredis';
import type { IdempotencyGuard } from '../../runtime/idempotencyGuard.ts';

/** The production guard: Redis `SET key value NX PX ttl`, shared by every participant process. */
export function createRedisIdempotencyGuard(options: { url: string; keyPrefix?: string }): IdempotencyGuard {
  // Auto-pipelining sends the GETs (or SETs) of a whole batch, issued in one tick, in one write.
  const redis = new Redis(options.url, { keyPrefix: options.keyPrefix ?? 'xsaga:', maxRetriesPerRequest: 3, enableOfflineQueue: true, enableAutoPipelining: true });
  return {
    async recall(key) {
      return (await redis.get(key)) ?? undefined;
    },
    async remember(key, outcome, ttlMs) {
      return (await redis.set(key, outcome, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async close() {
      await redis.quit();
    },
  };
}
