import { afterEach, describe, expect, it } from 'vitest';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import type { System } from '../../app/system.ts';
import type { PlaceOrderRequest } from '../../orders/placeOrderRequest.ts';
import { createRetentionJob } from '../../runtime/retentionJob.ts';
import type { PrunedRows, RetentionPolicy } from '../../runtime/sagaStore.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { freshPglite } from '../support/pglite.ts';
import { testClock, type TestClock } from '../support/testClock.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const WINDOWS = { outbox: 1 * HOUR_MS, appliedIds: 2 * HOUR_MS, keys: 3 * HOUR_MS };

const order = (paymentToken = 'tok_ok'): PlaceOrderRequest => ({ ...orderRequestFor(1, scenarioFor(0)), paymentToken });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** The embedded system on a test clock; the retention job runs only when the test calls it. */
async function embeddedOnClock(): Promise<{ system: System; clock: TestClock }> {
  const clock = testClock(Date.now());
  const system = await startEmbedded(
    {
      XSAGA_RETENTION_INTERVAL_MS: '0',
      XSAGA_RETAIN_PUBLISHED_OUTBOX_MS: String(WINDOWS.outbox),
      XSAGA_RETAIN_APPLIED_IDS_MS: String(WINDOWS.appliedIds),
      XSAGA_RETAIN_IDEMPOTENCY_KEYS_MS: String(WINDOWS.keys),
      // Long enough that no deadline falls due while the test moves the clock by hours.
      XSAGA_PAYMENT_TIMEOUT_MS: String(7 * 24 * HOUR_MS),
    },
    { clock },
  );
  cleanups.push(() => system.stop());
  return { system, clock };
}

async function finished(system: System, orderId: string) {
  return eventually(
    async () => {
      const view = await system.adapters.readModel.get(orderId);
      if (!view || view.status === 'PENDING') throw new Error(`order ${orderId} is ${view?.state ?? 'not projected'}`);
      return view;
    },
    { timeoutMs: 20_000 },
  );
}

// Each test starts PGlite (WebAssembly PostgreSQL): seconds on a busy machine.
describe('retention on the embedded system, on a test clock', { timeout: 120_000 }, () => {
  it('drops a redelivered reply inside the applied-id window; past it the reply is still not applied twice, but is dead-lettered', async () => {
    const { system, clock } = await embeddedOnClock();
    const placed = await system.orders.placeOrder(order());
    expect((await finished(system, placed.orderId)).status).toBe('COMPLETED');
    await system.relay.idle();
    const history = await system.adapters.store.readStream(placed.orderId);
    const captured = history.find((event) => event.message.type === 'PaymentCaptured')!.message;

    clock.advance(WINDOWS.appliedIds - MINUTE_MS);
    expect((await system.retention.pruneOnce()).appliedMessageIds).toBe(0);
    await system.runtime.handle([captured]);
    expect(await system.adapters.store.readStream(placed.orderId)).toEqual(history);
    expect(await system.adapters.store.deadLetters({ streamId: placed.orderId, limit: 10 })).toEqual([]);

    clock.advance(2 * MINUTE_MS);
    expect((await system.retention.pruneOnce()).appliedMessageIds).toBeGreaterThanOrEqual(history.length);
    expect((await system.adapters.store.appliedAmong([captured.metadata.messageId])).size).toBe(0);
    await system.runtime.handle([captured]);
    // A finished saga awaits no reply: the stream does not move, but the order now shows attention for nothing.
    expect(await system.adapters.store.readStream(placed.orderId)).toEqual(history);
    const [letter] = await system.adapters.store.deadLetters({ streamId: placed.orderId, limit: 10 });
    expect(letter).toMatchObject({ messageKey: captured.metadata.messageId, reason: 'UNSOLICITED_REPLY' });
    expect((await system.orders.getOrder(placed.orderId))?.view.attention).toMatchObject({ reason: 'POISON_MESSAGE' });
  });

  it('keeps the idempotency key and applied ids of an order in flight past every window, and forgets a finished order\'s key after its window', async () => {
    const { system, clock } = await embeddedOnClock();
    const done = await system.orders.placeOrder(order(), 'key-done');
    const waiting = await system.orders.placeOrder(order('tok_no_answer'), 'key-waiting');
    expect((await finished(system, done.orderId)).status).toBe('COMPLETED');
    await system.relay.idle();

    clock.advance(WINDOWS.keys - MINUTE_MS);
    expect(await system.retention.pruneOnce()).toMatchObject({ publishedOutbox: expect.any(Number), idempotencyKeys: 0 });
    expect(system.retention.totals().publishedOutbox).toBeGreaterThan(0);
    expect(await system.orders.placeOrder(order(), 'key-done')).toMatchObject({ orderId: done.orderId, replayed: true });

    clock.advance(2 * MINUTE_MS);
    expect((await system.retention.pruneOnce()).idempotencyKeys).toBe(1);
    expect(await system.orders.placeOrder(order('tok_no_answer'), 'key-waiting')).toMatchObject({ orderId: waiting.orderId, replayed: true });
    expect((await system.adapters.store.appliedAmong([`${waiting.orderId}/placed`])).size).toBe(1);
    expect((await system.adapters.store.outboxOfActiveStreams()).some((record) => record.envelope.key === waiting.orderId)).toBe(true);
    // Past its window a finished order's key is free: the same request is a new order.
    const again = await system.orders.placeOrder(order(), 'key-done');
    expect(again).toMatchObject({ replayed: false });
    expect(again.orderId).not.toBe(done.orderId);
  });
});

describe('retention job', () => {
  const policy: RetentionPolicy = { publishedOutboxMs: HOUR_MS, appliedMessageIdsMs: HOUR_MS, idempotencyKeysMs: HOUR_MS, batchSize: 10 };

  it('works a backlog off batch after batch, at the clock\'s time, then waits for its interval', async () => {
    const clock = testClock(Date.parse('2026-06-01T00:00:00.000Z'));
    let backlog = 25;
    const calls: { now: string; deleted: number }[] = [];
    const store = {
      async prune(given: RetentionPolicy, now: string): Promise<PrunedRows> {
        const deleted = Math.min(backlog, given.batchSize);
        backlog -= deleted;
        calls.push({ now, deleted });
        return { publishedOutbox: deleted, appliedMessageIds: 0, idempotencyKeys: 1 };
      },
    };
    const job = createRetentionJob({ store, policy, clock, intervalMs: HOUR_MS });
    const loop = job.start();
    cleanups.push(() => loop.stop());
    await eventually(() => expect(calls.length).toBeGreaterThanOrEqual(3));
    // The third round found less than a batch: the next one is an hour away.
    expect(calls).toEqual([10, 10, 5].map((deleted) => ({ now: '2026-06-01T00:00:00.000Z', deleted })));
    expect(job.totals()).toEqual({ publishedOutbox: 25, appliedMessageIds: 0, idempotencyKeys: 3 });
  });

  it('prunes a database written before retention existed, its old rows counted from the upgrade', async () => {
    const sql = await freshPglite();
    // The two tables as they were before they had `created_at`.
    await sql.query('create table xsaga_applied_messages (message_id text primary key, stream_id text not null)');
    await sql.query('create table xsaga_idempotency_keys (key text primary key, stream_id text not null, request_hash text not null)');
    await sql.query(`insert into xsaga_applied_messages values ('old/placed', 'old')`);
    await sql.query(`insert into xsaga_idempotency_keys values ('old-key', 'old', 'h')`);
    const upgradedAt = Date.now();
    const store = await createSqlSagaStore(sql);
    await sql.query(`insert into xsaga_streams (stream_id, machine_id, machine_version, version, status) values ('old', 'orderSaga', 1, 4, 'done')`);

    const soon = new Date(upgradedAt + 30 * MINUTE_MS).toISOString();
    expect(await store.prune(policy, soon)).toEqual({ publishedOutbox: 0, appliedMessageIds: 0, idempotencyKeys: 0 });
    const later = new Date(upgradedAt + 2 * HOUR_MS).toISOString();
    expect(await store.prune(policy, later)).toEqual({ publishedOutbox: 0, appliedMessageIds: 1, idempotencyKeys: 1 });
  });
});
