import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startOwnRedis } from '../../chaos/servers/ownRedis.ts';
import type { OwnServer } from '../../chaos/servers/ownServer.ts';

async function withClient<T>(address: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(address, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

describe('a Redis of its own', () => {
  let redis: OwnServer | undefined;
  afterAll(async () => {
    await redis?.dispose();
  });

  it('serves, loses every key on a restart, stops hard or cleanly, and is disposed of', { timeout: 60_000 }, async () => {
    redis = await startOwnRedis();
    expect(redis.kind).toBe('redis');
    expect(redis.address).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(redis.pid()).toBeGreaterThan(0);
    await withClient(redis.address, (client) => client.set('k', 'v'));
    expect(await withClient(redis.address, (client) => client.get('k'))).toBe('v');

    await redis.stop({ hard: true });
    expect(redis.pid()).toBeUndefined();
    await expect(withClient(redis.address, (client) => client.ping())).rejects.toThrow();

    await redis.start();
    expect(await withClient(redis.address, (client) => client.get('k'))).toBeNull();
    await redis.stop();
    await redis.start();
    expect(await withClient(redis.address, (client) => client.ping())).toBe('PONG');

    await redis.dispose();
    await expect(withClient(redis.address, (client) => client.ping())).rejects.toThrow();
    redis = undefined;
  });
});
