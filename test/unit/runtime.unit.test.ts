import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import type { System, SystemAdapters } from '../../app/system.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { createOrderService } from '../../orders/orderService.ts';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { topicsFor } from '../../orders/topics.ts';
import type { PlaceOrderRequest } from '../../orders/placeOrderRequest.ts';
import { systemClock } from '../../runtime/clock.ts';
import { MachineRegistry, type SagaDefinition } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime, replayStream, type SagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import type { OrderReadModel } from '../../orders/orderReadModel.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { replyTo, type Message } from '../../runtime/message.ts';
import { XsagaError } from '../../runtime/errors.ts';
import { recordDeliveries, type DeliveryLog } from '../support/deliveryLog.ts';
import { eventually } from '../support/eventually.ts';

const order = (overrides: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest => ({ ...orderRequestFor(1, scenarioFor(0)), ...overrides });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function embedded(env: Record<string, string> = {}, wrap?: (adapters: SystemAdapters) => SystemAdapters): Promise<System> {
  const system = await startEmbedded(env, { wrap });
  cleanups.push(() => system.stop());
  return system;
}

async function terminalView(system: System, orderId: string, timeoutMs = 10_000) {
  return eventually(
    async () => {
      const view = await system.adapters.readModel.get(orderId);
      if (!view || view.status === 'PENDING') throw new Error(`order ${orderId} is ${view?.state ?? 'not projected'}`);
      return view;
    },
    { timeoutMs },
  );
}

/** The API's order service on a runtime and store of the test's own, with the default settings. */
function orderServiceOn(runtime: SagaRuntime, store: SagaStore, definition: SagaDefinition, readModel: OrderReadModel = createMemoryOrderReadModel()) {
  return createOrderService({
    runtime,
    store,
    definition,
    readModel,
    clock: systemClock,
    settings: { paymentTimeoutMs: 30_000, maxAttempts: 5, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 },
  });
}

async function count(system: System, sql: string, params: unknown[]): Promise<number> {
  const result = await system.adapters.sql.query<{ n: string | number }>(sql, params);
  return Number(result.rows[0]?.n ?? 0);
}

// Each test starts PGlite (WebAssembly PostgreSQL) two or three times: seconds each on a busy machine.
describe('saga runtime on the embedded adapters', { timeout: 120_000 }, () => {
  it('reads a saga another process moved from the event store, not from the cache of the process that started it', async () => {
    const data = await tempDataDir();
    cleanups.push(data.remove);
    const sql = await createPgliteClient(data.dir);
    cleanups.push(() => sql.close());
    const store = await createSqlSagaStore(sql);
    const definition = orderSagaDefinition(topicsFor());
    const registry = new MachineRegistry().register(definition);
    // The api's process: it starts sagas, and reads them from the event store while the read model is down.
    const apiRuntime = createSagaRuntime({ store, registry });
    const readModelDown = createMemoryOrderReadModel();
    const service = orderServiceOn(apiRuntime, store, definition, { ...readModelDown, get: () => Promise.reject(new XsagaError('UNAVAILABLE', 'read model down', { retryable: true })) });
    const placed = await service.placeOrder(order());
    // A worker in another process takes the payment's reply.
    const capture = (await store.pendingOutbox(10)).map((r) => r.envelope.message).find((m) => m.type === 'CapturePayment')!;
    await createSagaRuntime({ store, registry }).handle([replyTo(capture, 'PaymentCaptured', { amount: 1 }, new Date().toISOString())]);

    const read = await service.getOrder(placed.orderId);
    expect(read?.source).toBe('event-store');
    expect(read?.view.version).toBe(2);
    expect(read?.view.state).toMatch(/^inventory/);
  });

  it('reads the applied ids only when a batch meets a redelivered message, and applies that message once', async () => {
    const data = await tempDataDir();
    cleanups.push(data.remove);
    const sql = await createPgliteClient(data.dir);
    cleanups.push(() => sql.close());
    const stored = await createSqlSagaStore(sql);
    let reads = 0;
    const store = { ...stored, appliedAmong: (ids: readonly string[]) => (reads++, stored.appliedAmong(ids)) };
    const definition = orderSagaDefinition(topicsFor());
    const runtime = createSagaRuntime({ store, registry: new MachineRegistry().register(definition) });
    const service = orderServiceOn(runtime, store, definition);
    const started = [await service.placeOrder(order()), await service.placeOrder(order({ customerId: 'cus_second' }))];
    const captures = (await store.pendingOutbox(10)).map((r) => r.envelope.message).filter((m) => m.type === 'CapturePayment');
    const [first, second] = started.map(({ orderId }) => replyTo(captures.find((c) => c.metadata.correlationId === orderId)!, 'PaymentCaptured', { amount: 1 }, new Date().toISOString()));

    await runtime.handle([first!]);
    expect(reads).toBe(0);
    // The redelivered reply fails the commit on its applied id; the retry reads the applied ids and commits the new reply alone.
    await runtime.handle([first!, second!]);
    expect(reads).toBe(1);
    for (const { orderId } of started) expect((await store.readStream(orderId)).map((e) => e.message.type)).toEqual(['OrderPlaced', 'PaymentCaptured']);
    expect(await sql.query('select count(*)::int as n from xsaga_dead_letters')).toMatchObject({ rows: [{ n: 0 }] });
  });

  it('publishes a command committed before a crash exactly once after restart', async () => {
    const data = await tempDataDir();
    cleanups.push(data.remove);
    // The "crashed" process: it commits the first step but never runs a relay.
    const sql = await createPgliteClient(data.dir);
    const store = await createSqlSagaStore(sql);
    const topics = topicsFor();
    const definition = orderSagaDefinition(topics);
    const runtime = createSagaRuntime({ store, registry: new MachineRegistry().register(definition) });
    const service = orderServiceOn(runtime, store, definition);
    const placed = await service.placeOrder(order());
    expect((await store.pendingOutbox(10)).map((r) => r.envelope.message.type)).toContain('CapturePayment');
    await sql.close();

    const system = await embedded({ XSAGA_DATA_DIR: data.dir });
    const view = await terminalView(system, placed.orderId);
    expect(view.status).toBe('COMPLETED');
    expect(await count(system, `select count(*) as n from payment_ledger where order_id = $1`, [placed.orderId])).toBe(1);
    const types = (await system.adapters.store.readStream(placed.orderId)).map((e) => e.message.type);
    expect(types).toEqual(['OrderPlaced', 'PaymentCaptured', 'StockReserved', 'ShipmentCreated']);
  });

  it('survives a relay that published but failed to mark the rows published', async () => {
    const system = await embedded();
    const store = system.adapters.store;
    const markPublished = store.markPublished;
    let failures = 0;
    // The first mark fails after the publish went out: the relay publishes those rows again.
    (store as { markPublished: typeof markPublished }).markPublished = async (ids) => {
      if (failures++ < 1) throw new Error('crash after publish');
      return markPublished(ids);
    };
    const placed = await system.orders.placeOrder(order());
    const view = await terminalView(system, placed.orderId);
    // Marks follow publishes by the relay's mark delay: wait for the failed ones, then sweep what they left.
    await eventually(() => expect(failures).toBeGreaterThanOrEqual(1));
    expect(await system.relay.publishPending()).toBeGreaterThan(0);
    expect(view.status).toBe('COMPLETED');
    expect(await count(system, `select count(*) as n from payment_ledger where order_id = $1`, [placed.orderId])).toBe(1);
    expect(await count(system, `select count(*) as n from inventory_reservations where order_id = $1`, [placed.orderId])).toBe(1);
    expect((await store.readStream(placed.orderId)).length).toBe(4);
  });

  it('performs one effect when every command and reply is delivered three times', async () => {
    let deliveries: DeliveryLog | undefined;
    const system = await embedded({}, (adapters) => {
      deliveries = recordDeliveries(adapters.bus);
      return { ...adapters, bus: deliveries.bus };
    });
    const placed = await system.orders.placeOrder(order({ shippingAddress: { ...order().shippingAddress, country: 'ZZ' } }));
    const view = await terminalView(system, placed.orderId);
    expect(view.failureReason).toBe('UNDELIVERABLE');
    const stock = await system.adapters.sql.query('select sku, available from inventory_stock order by sku');
    const outbox = await system.adapters.sql.query<{ topic: string; key: string; message: Message }>(
      'select topic, key, message from xsaga_outbox where stream_id = $1 order by id',
      [placed.orderId],
    );
    const stream = await system.adapters.store.readStream(placed.orderId);
    const replies = stream.slice(1).map((e) => ({ topic: system.topics.sagaInbox, key: placed.orderId, message: e.message }));
    for (let i = 0; i < 3; i++) await system.adapters.bus.publish([...outbox.rows, ...replies]);
    const participants = sagaCatalog({ prefix: system.topics.prefix }).participants;
    const commands = outbox.rows.flatMap(({ topic, message }) => {
      const spec = participants.find((p) => p.commandTopic === topic);
      return spec ? [{ group: system.groups.participant(spec.name), message }] : [];
    });
    expect(commands.map(({ message }) => message.type)).toEqual(['CapturePayment', 'ReserveStock', 'CreateShipment', 'ReleaseStock', 'RefundPayment']);
    // Every duplicate was handled: each command by its participant (once, and three times again), each
    // reply by the saga (once, three times from here, and three times more as the participants answered
    // the duplicate commands with their stored outcomes, under the same reply ids).
    await eventually(() => {
      for (const { group, message } of commands) expect(deliveries!.handled(group, message.metadata.messageId), message.type).toBe(4);
      for (const { message } of replies) expect(deliveries!.handled(system.groups.sagaWorker, message.metadata.messageId), message.type).toBe(7);
    });
    await system.relay.publishPending();
    expect((await system.adapters.store.readStream(placed.orderId)).length).toBe(stream.length);
    expect(await count(system, `select count(*) as n from payment_ledger where order_id = $1`, [placed.orderId])).toBe(2);
    expect(await count(system, `select sum(case when operation = 'CapturePayment' then amount else -amount end) as n from payment_ledger where order_id = $1`, [placed.orderId])).toBe(0);
    expect((await system.adapters.sql.query('select sku, available from inventory_stock order by sku')).rows).toEqual(stock.rows);
    expect(await count(system, `select count(*) as n from shipping_shipments where order_id = $1`, [placed.orderId])).toBe(1);
  });

  it('fires a durable timer once after a restart, and ignores it once the saga moved on', async () => {
    const data = await tempDataDir();
    cleanups.push(data.remove);
    const env = { XSAGA_DATA_DIR: data.dir, XSAGA_PAYMENT_TIMEOUT_MS: '1500' };
    // The first process runs no relay, hence no timer scheduler: however slow the machine, the
    // deadline cannot fire before the restart.
    const first = await startEmbedded({ ...env, XSAGA_ROLES: 'api,worker,participants,projector' });
    const placed = await first.orders.placeOrder(order({ paymentToken: 'tok_no_answer' }));
    const completed = await first.orders.placeOrder(order());
    await terminalView(first, completed.orderId);
    expect(await count(first, 'select count(*) as n from xsaga_timers where stream_id = $1', [placed.orderId])).toBe(1);
    expect(await count(first, 'select count(*) as n from xsaga_timers where stream_id = $1', [completed.orderId])).toBe(0);
    await first.stop();

    const second = await embedded(env);
    const view = await terminalView(second, placed.orderId);
    expect(view).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_TIMEOUT' });
    const types = (await second.adapters.store.readStream(placed.orderId)).map((e) => e.message.type);
    expect(types).toEqual(['OrderPlaced', 'TimerFired', 'PaymentRefunded']);
    expect(await count(second, 'select count(*) as n from xsaga_timers', [])).toBe(0);

    // A deadline delivered to a saga that already left the state that armed it changes nothing.
    const before = (await second.adapters.store.load(completed.orderId))!.head.version;
    await second.runtime.handle([
      {
        type: 'TimerFired',
        data: { timerId: 'xstate.after.paymentTimeout.orderSaga.payment', event: { type: 'xstate.after.paymentTimeout.orderSaga.payment' }, armedVersion: 1, dueAt: new Date().toISOString() },
        metadata: { messageId: `late-timer-${completed.orderId}`, correlationId: completed.orderId, causationId: 'test', occurredAt: new Date().toISOString() },
      },
    ]);
    expect((await second.adapters.store.load(completed.orderId))!.head.version).toBe(before);
  });

  it('hydrates from a snapshot plus later events to the same saga as a full replay', async () => {
    const system = await embedded({ XSAGA_SNAPSHOT_EVERY: '2', XSAGA_ACTOR_CACHE_SIZE: '0' });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await system.orders.placeOrder(orderRequestFor(i, scenarioFor(i * 3)))).orderId);
    for (const id of ids) await terminalView(system, id);
    const snapshots = await count(system, 'select count(*) as n from xsaga_snapshots', []);
    expect(snapshots).toBeGreaterThan(0);
    const definition = system.definition;
    for (const id of ids) {
      const loaded = (await system.adapters.store.load(id))!;
      const fromSnapshot = replayStream(definition, loaded);
      const full = replayStream(definition, { head: loaded.head, snapshot: undefined, events: await system.adapters.store.readStream(id) });
      expect(fromSnapshot.version).toBe(full.version);
      expect(fromSnapshot.snapshot.value).toEqual(full.snapshot.value);
      expect(fromSnapshot.snapshot.context).toEqual(full.snapshot.context);
      expect(fromSnapshot.snapshot.status).toBe(full.snapshot.status);
    }
  });

  it('keeps its actor cache bounded', async () => {
    const system = await embedded({ XSAGA_ACTOR_CACHE_SIZE: '3' });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await system.orders.placeOrder(order())).orderId);
    for (const id of ids) expect((await terminalView(system, id)).status).toBe('COMPLETED');
  });
});

describe('in-memory bus', () => {
  it('does not grow without bound once every group consumed', async () => {
    const bus = createMemoryMessageBus({ partitions: 1 });
    let seen = 0;
    const sub = await bus.subscribe({ group: 'g', topics: ['t'], handler: async (b) => void (seen += b.messages.length) });
    for (let i = 0; i < 20; i++) {
      await bus.publish(Array.from({ length: 500 }, (_, j) => ({ topic: 't', key: 'k', message: { type: 'x', data: {}, metadata: { messageId: `${i}-${j}`, correlationId: 'k', causationId: 'c', occurredAt: '' } } })));
    }
    await eventually(() => expect(seen).toBe(10_000));
    await sub.stop();
    await bus.close();
  });
});
