import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { createOrderService, type OrderService } from '../../orders/orderService.ts';
import { topicsFor } from '../../orders/topics.ts';
import { systemClock } from '../../runtime/clock.ts';
import { TIMER_FIRED } from '../../runtime/machineEvent.ts';
import { replyTo, type Message } from '../../runtime/message.ts';
import type { MessageBus } from '../../runtime/messageBus.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime, type SagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { freshPglite } from '../support/pglite.ts';
import { POISON_CAUSES, runPoisonScenario } from '../support/poisonScenario.ts';

const topics = topicsFor('poison-unit');
const definition = orderSagaDefinition(topics);
const now = () => new Date().toISOString();

describe('poison on the embedded adapters (PGlite, in-process bus)', () => {
  const buses: MessageBus[] = [];
  afterAll(async () => {
    for (const bus of buses) await bus.close();
  });

  it.each(POISON_CAUSES)('%s: dead-lettered, and the sagas of its batch flow past it', { timeout: 120_000 }, async (cause) => {
    const sql = await freshPglite();
    const store = await createSqlSagaStore(sql);
    const bus = createMemoryMessageBus({ partitions: 4, mergePartitions: true });
    buses.push(bus);
    const { flowedPastMs } = await runPoisonScenario(
      {
        label: 'in-process bus + PGlite',
        store,
        sql,
        bus,
        topics,
        // The in-process bus carries objects, not bytes: what it cannot carry to a saga is an object that is no message.
        publishUndecodable: (key) => bus.publish([{ topic: topics.sagaInbox, key, message: { type: 42, metadata: { correlationId: key } } as unknown as Message }]),
        undecodableReason: 'MALFORMED',
      },
      cause,
    );
    expect(flowedPastMs).toBeGreaterThanOrEqual(0);
  });
});

describe('a reply is a fact only if the saga asked for it', () => {
  let sql: SqlClient;
  let store: SagaStore;
  let runtime: SagaRuntime;
  let orders: OrderService;

  beforeEach(async () => {
    sql = await freshPglite();
    store = await createSqlSagaStore(sql);
    runtime = createSagaRuntime({ store, registry: new MachineRegistry().register(definition), deadLetterTopic: topics.deadLetters, snapshotEvery: 1 });
    orders = createOrderService({ runtime, store, definition, readModel: createMemoryOrderReadModel(), clock: systemClock, settings: { paymentTimeoutMs: 60_000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 } });
  });

  const placed = async () => (await orders.placeOrder(orderRequestFor(1, scenarioFor(0)))).orderId;
  const sent = async (orderId: string, type: string) => {
    const rows = await sql.query<{ message: Message }>(`select message from xsaga_outbox where stream_id = $1 and message->>'type' = $2 order by id`, [orderId, type]);
    return rows.rows.map((row) => row.message);
  };
  const stateOf = async (orderId: string) => {
    runtime.evict([orderId]);
    const live = await runtime.hydrate(orderId);
    return { version: live!.version, state: JSON.stringify(live!.snapshot.value) };
  };
  const lettersOf = async (orderId: string) => (await store.deadLetters({ streamId: orderId, limit: 10 })).map((d) => [d.reason, d.messageKey]);
  const message = (type: string, orderId: string, data: unknown, causationId: string, messageId = `${type}/${orderId}/${Math.random()}`): Message => ({
    type,
    data,
    metadata: { messageId, correlationId: orderId, causationId, occurredAt: now() },
  });

  it('dead-letters a PaymentCaptured with data null for an order waiting on its payment, which stays there', async () => {
    const orderId = await placed();
    const [capture] = await sent(orderId, 'CapturePayment');
    const forged = replyTo(capture!, 'PaymentCaptured', null, now());
    await runtime.handle([forged]);
    expect(await stateOf(orderId)).toEqual({ version: 1, state: '{"payment":"capturing"}' });
    expect(await lettersOf(orderId)).toEqual([['SCHEMA_VIOLATION', forged.metadata.messageId]]);
    expect((await store.deadLetters({ streamId: orderId, limit: 1 }))[0]!.error).toMatch(/PaymentCaptured: data: /);
    expect(await sent(orderId, 'ReserveStock')).toEqual([]);
    // The real answer still moves it.
    await runtime.handle([message('PaymentCaptured', orderId, { amount: 1 }, capture!.metadata.messageId)]);
    expect((await stateOf(orderId)).state).toBe('{"inventory":"reserving"}');
  });

  it('dead-letters replies to no command the saga awaits: an invented cause, a command already answered, a command of another kind', async () => {
    const orderId = await placed();
    const [capture] = await sent(orderId, 'CapturePayment');
    const invented = message('PaymentCaptured', orderId, { amount: 1 }, 'operator-console');
    const wrongKind = message('StockReserved', orderId, {}, capture!.metadata.messageId);
    await runtime.handle([invented, wrongKind]);
    expect(await stateOf(orderId)).toEqual({ version: 1, state: '{"payment":"capturing"}' });
    await runtime.handle([replyTo(capture!, 'PaymentCaptured', { amount: 1 }, now())]);
    const again = message('PaymentCaptured', orderId, { amount: 1 }, capture!.metadata.messageId);
    runtime.evict();
    await runtime.handle([again]);
    expect(await stateOf(orderId)).toEqual({ version: 2, state: '{"inventory":"reserving"}' });
    const letters = await store.deadLetters({ streamId: orderId, limit: 10 });
    expect(letters.map((d) => [d.reason, d.messageKey]).sort()).toEqual(
      [
        ['UNSOLICITED_REPLY', invented.metadata.messageId],
        ['UNSOLICITED_REPLY', wrongKind.metadata.messageId],
        ['UNSOLICITED_REPLY', again.metadata.messageId],
      ].sort(),
    );
    expect(letters.find((d) => d.messageKey === wrongKind.metadata.messageId)!.error).toMatch(/does not answer CapturePayment/);
  });

  it('takes a late answer to a command it still awaits without moving, and does not dead-letter it', async () => {
    const orderId = await placed();
    const [capture] = await sent(orderId, 'CapturePayment');
    const deadline = 'xstate.after.paymentTimeout.orderSaga.payment';
    await runtime.handle([
      message(TIMER_FIRED, orderId, { timerId: deadline, event: { type: deadline }, armedVersion: 1, dueAt: now() }, `${orderId}/1`, `timer/${orderId}/${deadline}/1`),
    ]);
    expect((await stateOf(orderId)).state).toBe('{"compensating":{"refundingPayment":"refunding"}}');
    const late = replyTo(capture!, 'PaymentCaptured', { amount: 1 }, now());
    await runtime.handle([late]);
    expect(await stateOf(orderId)).toEqual({ version: 2, state: '{"compensating":{"refundingPayment":"refunding"}}' });
    expect((await store.appliedAmong([late.metadata.messageId])).size).toBe(1);
    expect(await lettersOf(orderId)).toEqual([]);
  });

  it('refuses a fired timer that carries a reply, an unknown event, the start event again, and messages of no saga', async () => {
    const orderId = await placed();
    const smuggled = message(TIMER_FIRED, orderId, { timerId: 't', event: { type: 'PaymentCaptured', data: { amount: 1 } }, armedVersion: 1, dueAt: now() }, `${orderId}/1`);
    const unknown = message('PaymentTeleported', orderId, {}, 'x');
    const restart = message('OrderPlaced', orderId, {}, 'x');
    const stranger = message('PaymentCaptured', 'no-such-order', { amount: 1 }, 'x');
    await runtime.handle([smuggled, unknown, restart, stranger]);
    expect(await stateOf(orderId)).toEqual({ version: 1, state: '{"payment":"capturing"}' });
    expect((await lettersOf(orderId)).map(([reason]) => reason).sort()).toEqual(['SCHEMA_VIOLATION', 'UNEXPECTED_EVENT', 'UNEXPECTED_EVENT']);
    expect(await lettersOf('no-such-order')).toEqual([['UNKNOWN_STREAM', stranger.metadata.messageId]]);
  });

  it('dead-letters a message whose ids the store cannot keep once, however often it comes', async () => {
    const orderId = await placed();
    const [capture] = await sent(orderId, 'CapturePayment');
    const broken = message('PaymentCaptured', orderId, { amount: 1 }, capture!.metadata.messageId, 'id-with-\u0000-nul');
    await runtime.handle([broken]);
    await runtime.handle([broken]);
    const letters = await store.deadLetters({ streamId: orderId, limit: 10 });
    expect(letters.map((d) => d.reason)).toEqual(['MALFORMED']);
    expect(letters[0]!.messageKey).toMatch(/^digest\//);
    expect((await stateOf(orderId)).version).toBe(1);
  });

  it('knows what a saga awaits after a restart, from a snapshot or from the events', async () => {
    const orderId = await placed();
    await runtime.handle([replyTo((await sent(orderId, 'CapturePayment'))[0]!, 'PaymentCaptured', { amount: 1 }, now())]);
    expect((await store.load(orderId))!.snapshot?.awaiting).toEqual([[`${orderId}/2/0`, 'ReserveStock']]);
    // A snapshot written before replies were checked has no awaited commands: the events are folded instead.
    await sql.query('update xsaga_snapshots set awaiting = null where stream_id = $1', [orderId]);
    const restarted = createSagaRuntime({ store, registry: new MachineRegistry().register(definition), deadLetterTopic: topics.deadLetters });
    const [reserve] = await sent(orderId, 'ReserveStock');
    await restarted.handle([message('StockReserved', orderId, {}, 'not-the-reserve-command'), replyTo(reserve!, 'StockReserved', {}, now())]);
    expect((await restarted.hydrate(orderId))!.snapshot.value).toEqual({ shipping: 'creating' });
    expect((await lettersOf(orderId)).map(([reason]) => reason)).toEqual(['UNSOLICITED_REPLY']);
  });

  it('dead-letters nothing when the database fails: the batch fails, and goes through once it is back', async () => {
    const orderId = await placed();
    const [capture] = await sent(orderId, 'CapturePayment');
    let down = 2;
    const flaky = createSagaRuntime({
      store: {
        ...store,
        commit: (changes, letters) => (down-- > 0 ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })) : store.commit(changes, letters)),
      },
      registry: new MachineRegistry().register(definition),
      deadLetterTopic: topics.deadLetters,
    });
    const batch = [replyTo(capture!, 'PaymentCaptured', { amount: 1 }, now()), message('PaymentCaptured', orderId, null, 'x')];
    await expect(flaky.handle(batch)).rejects.toThrow(/ECONNREFUSED/);
    await expect(flaky.handle(batch)).rejects.toThrow(/ECONNREFUSED/);
    expect(await store.deadLetters({ limit: 10 })).toEqual([]);
    await flaky.handle(batch);
    expect((await stateOf(orderId)).state).toBe('{"inventory":"reserving"}');
    expect((await lettersOf(orderId)).map(([reason]) => reason)).toEqual(['SCHEMA_VIOLATION']);
  });
});
