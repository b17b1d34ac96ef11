import { Redis } from 'ioredis';
import type { IdempotencyGuard } from '../../runtime/idempotencyGuard.ts';

/** The production guard: Redis `SET key value NX PX ttl`, shared by every participant process. */
export function createRedisIdempotencyGuard(options: { url: string; keyPrefix?: string }): IdempotencyGuard {
  const redis = new Redis(options.url, { keyPrefix: options.keyPrefix ?? 'xsaga:', maxRetriesPerRequest: 3, enableOfflineQueue: true });
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
