import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createElasticsearchOrderReadModel } from '../../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createRedisIdempotencyGuard, REDIS_GUARD_CONNECTION_NAME } from '../../adapters/redis/redisIdempotencyGuard.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import type { OwnServer } from '../../chaos/servers/ownServer.ts';
import { startOwnRedis } from '../../chaos/servers/ownRedis.ts';
import { checkInvariants } from '../../orders/invariants.ts';
import { createCommandHandler } from '../../participants/participant.ts';
import { paymentParticipant } from '../../participants/payment.ts';
import { migrateParticipants } from '../../participants/schema.ts';
import { systemClock } from '../../runtime/clock.ts';
import type { Message } from '../../runtime/message.ts';
import { TEST_ES_URL } from '../support/elasticsearch.ts';
import { eventually } from '../support/eventually.ts';
import { freshPgSchema, TEST_PG_URL } from '../support/postgres.ts';
import { placeOrdersContinuously, startProductionRoles } from '../support/productionRoles.ts';

const capture = (orderId: string): Message => ({
  type: 'CapturePayment',
  data: { orderId, amount: 500, currency: 'EUR', paymentToken: 'tok_ok', attempt: 1 },
  metadata: { messageId: `${orderId}/capture`, correlationId: orderId, causationId: `${orderId}/capture`, occurredAt: '2026-01-01T00:00:00.000Z' },
});

/** The same reply: its id derives from the command's, its content from the stored outcome; only its time is new. */
const sameReply = (a: Message | undefined, b: Message | undefined): boolean =>
  a !== undefined && b !== undefined && JSON.stringify([a.type, a.data, a.metadata.messageId]) === JSON.stringify([b.type, b.data, b.metadata.messageId]);

async function keyCount(address: string): Promise<number> {
  const observer = new Redis(address, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await observer.connect();
  try {
    return await observer.dbsize();
  } finally {
    observer.disconnect();
  }
}

/** The connections Redis has, by name, but the one asking. */
async function connectionNames(address: string): Promise<string[]> {
  const observer = new Redis(address, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await observer.connect();
  try {
    const list = (await observer.client('LIST')) as string;
    const own = String(await observer.client('ID'));
    return list
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith(`id=${own} `))
      .map((line) => line.match(/ name=(\S*)/)?.[1] ?? '');
  } finally {
    observer.disconnect();
  }
}

describe('a Redis outage', () => {
  let redis: OwnServer;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    redis = await startOwnRedis();
  }, 60_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.warn(`cleanup: ${(error as Error).message}`));
    await redis?.dispose();
  }, 120_000);

  it('leaves a participant performing on its durable key: a redelivered command is not applied twice', { timeout: 120_000 }, async () => {
    if (!redis.pid()) await redis.start();
    const pg = await freshPgSchema('xsaga_redis_outage');
    cleanups.push(pg.dispose);
    await migrateParticipants(pg.sql);
    const guard = createRedisIdempotencyGuard({ url: redis.address, keyPrefix: `${pg.schema}:` });
    cleanups.push(() => guard.close());
    const handle = createCommandHandler(paymentParticipant('payments'), { sql: pg.sql, bus: createMemoryMessageBus(), guard, clock: systemClock, replyTopic: 'inbox' });
    const ledger = async () => (await pg.sql.query<{ order_id: string }>('select order_id from payment_ledger order by order_id')).rows.map((row) => row.order_id);

    const [beforeOutage] = await handle([capture('before')]);
    expect(beforeOutage?.type).toBe('PaymentCaptured');

    await redis.stop({ hard: true });
    const [redelivered] = await handle([capture('before')]);
    expect(sameReply(redelivered, beforeOutage)).toBe(true);
    const [during] = await handle([capture('during')]);
    expect(during?.type).toBe('PaymentCaptured');
    const [duringAgain] = await handle([capture('during'), capture('during')]);
    expect(sameReply(duringAgain, during)).toBe(true);
    expect(await ledger()).toEqual(['before', 'during']);

    // Back, and empty: the table still answers for what Redis forgot.
    await redis.start();
    const replies = await handle([capture('before'), capture('during'), capture('after')]);
    expect(replies.map((reply) => [reply.metadata.correlationId, reply.type])).toEqual([
      ['before', 'PaymentCaptured'],
      ['during', 'PaymentCaptured'],
      ['after', 'PaymentCaptured'],
    ]);
    expect(await ledger()).toEqual(['after', 'before', 'during']);
    await guard.close();
  });

  it('slows the participants down but does not stop them, and only they connect to Redis', { timeout: 600_000 }, async () => {
    if (!redis.pid()) await redis.start();
    const pg = await freshPgSchema('xsaga_redis_outage');
    cleanups.push(pg.dispose);
    const roles = await startProductionRoles({
      prefix: 'redis_outage',
      pgUrl: TEST_PG_URL,
      pgSchema: pg.schema,
      redisUrl: redis.address,
      roles: ['api', 'relay', 'worker', 'participants', 'projector'],
    });
    cleanups.push(roles.stop);
    const failFast = () => roles.assertAllAlive();
    const completeOrders = async (label: string, count: number, until: () => Promise<void> = async () => undefined) => {
      const orders = placeOrdersContinuously(roles.url, { clients: 4, keyPrefix: `${label}-${Date.now()}` });
      await eventually(
        async () => {
          expect(orders.accepted().length).toBeGreaterThanOrEqual(count);
          await until();
        },
        { timeoutMs: 120_000, intervalMs: 50, failFast },
      );
      const placed = await orders.stop();
      return placed.length;
    };
    let placed = await completeOrders('redis-up', 10);
    await eventually(async () => expect(await roles.terminalCount()).toBe(placed), { timeoutMs: 120_000, intervalMs: 250, failFast });
    // Every role has run its orders: only the participants ever asked the guard.
    expect(await connectionNames(redis.address)).toEqual([REDIS_GUARD_CONNECTION_NAME]);

    await redis.stop({ hard: true });
    placed += await completeOrders('redis-down', 20);
    await eventually(async () => expect(await roles.terminalCount()).toBe(placed), { timeoutMs: 120_000, intervalMs: 250, failFast });
    expect(redis.pid()).toBeUndefined();

    await redis.start();
    // The guard reconnects by itself, and once its pause after the failure is over, remembers outcomes again.
    await eventually(async () => expect(await connectionNames(redis.address)).toEqual([REDIS_GUARD_CONNECTION_NAME]), { timeoutMs: 60_000, intervalMs: 200, failFast });
    placed += await completeOrders('redis-back', 10, async () => expect(await keyCount(redis.address)).toBeGreaterThan(0));
    await eventually(async () => expect(await roles.terminalCount()).toBe(placed), { timeoutMs: 120_000, intervalMs: 250, failFast });
    roles.assertAllAlive();

    const readModel = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias: roles.alias });
    cleanups.push(() => readModel.close());
    const report = await checkInvariants({ sql: pg.sql, store: await createSqlSagaStore(pg.sql, { migrate: false }), readModel });
    expect(report.violations).toEqual([]);
    expect(report.orders).toBe(placed);
    if (process.env.XSAGA_TEST_SHOW_ROLES) for (const [role, running] of roles.processes) console.log(`--- ${role}\n${running.output()}`);
  });
});
