import { createRedisIdempotencyGuard } from '../../adapters/redis/redisIdempotencyGuard.ts';
import { idempotencyGuardContract } from '../contracts/idempotencyGuardContract.ts';
import { uniqueName } from '../support/messages.ts';
import { TEST_REDIS_URL } from '../support/redis.ts';

idempotencyGuardContract('Redis', async () => {
  const guard = createRedisIdempotencyGuard({ url: TEST_REDIS_URL, keyPrefix: `${uniqueName('xsaga-test')}:` });
  return { guard, expire: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
});
