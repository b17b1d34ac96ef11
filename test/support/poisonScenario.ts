import { expect } from 'vitest';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { createOrderService, type OrderService } from '../../orders/orderService.ts';
import type { Topics } from '../../orders/topics.ts';
import { systemClock } from '../../runtime/clock.ts';
import type { DeadLetter, DeadLetterReason, StoredDeadLetter } from '../../runtime/deadLetter.ts';
import { envelopeProblem, replyTo, type Message } from '../../runtime/message.ts';
import { UNDECODABLE, type MessageBus } from '../../runtime/messageBus.ts';
import { MachineRegistry, type SagaDefinition } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime, type SagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaStore, StreamChange } from '../../runtime/sagaStore.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { FRAGILE_STARTED, fragileSagaDefinition } from '../fixtures/fragileSaga.ts';
import { eventually } from './eventually.ts';

/** The causes of poison the runtime must survive, each on every pair of adapters. */
export const POISON_CAUSES = ['machine version not registered', 'payload fails the schema', 'guard throws', 'undecodable record', 'value the store refuses'] as const;
export type PoisonCause = (typeof POISON_CAUSES)[number];

/** A bus and a store to run the scenario on, and how this bus meets a record it cannot decode. */
export type PoisonRig = Readonly<{
  label: string;
  store: SagaStore;
  sql: SqlClient;
  bus: MessageBus;
  topics: Topics;
  /** Puts something on the inbox, keyed by `key` (its saga), that is no message. */
  publishUndecodable(key: string): Promise<void>;
  /** What the runtime calls it: UNDECODABLE from Kafka (raw bytes), MALFORMED from the in-process bus (an object). */
  undecodableReason: DeadLetterReason;
}>;

export type PoisonOutcome = Readonly<{ flowedPastMs: number; deadLetter: StoredDeadLetter; othersInPoisonBatch: number }>;

const EXPECTED_REASON: Record<Exclude<PoisonCause, 'undecodable record'>, DeadLetterReason> = {
  'machine version not registered': 'MACHINE_NOT_REGISTERED',
  'payload fails the schema': 'SCHEMA_VIOLATION',
  'guard throws': 'HANDLER_FAILED',
  'value the store refuses': 'STORE_REJECTED',
};

/** When each saga's commits happened: a saga done, a saga's message dead-lettered. */
function timedStore(store: SagaStore) {
  const doneAt = new Map<string, number>();
  const deadLetteredAt = new Map<string, number>();
  const timed: SagaStore = {
    ...store,
    async commit(changes: readonly StreamChange[], letters: readonly DeadLetter[] = []) {
      const records = await store.commit(changes, letters);
      const now = performance.now();
      for (const change of changes) if (change.status === 'done') doneAt.set(change.streamId, now);
      for (const letter of letters) if (!deadLetteredAt.has(letter.streamId)) deadLetteredAt.set(letter.streamId, now);
      return records;
    },
  };
  return { timed, doneAt, deadLetteredAt };
}

async function pending(sql: SqlClient, streamId: string, type: string): Promise<Message> {
  const rows = await sql.query<{ message: Message }>(`select message from xsaga_outbox where stream_id = $1 and message->>'type' = $2 order by id desc limit 1`, [streamId, type]);
  if (!rows.rows[0]) throw new Error(`${streamId} sent no ${type}`);
  return rows.rows[0].message;
}

const now = () => new Date().toISOString();

/** An order driven up to its shipping step; the reply that completes it is returned, not sent. */
async function orderAtShipping(orders: OrderService, runtime: SagaRuntime, sql: SqlClient, index: number): Promise<{ orderId: string; shipment: Message }> {
  const { orderId } = await orders.placeOrder(orderRequestFor(index, scenarioFor(0)));
  const capture = await pending(sql, orderId, 'CapturePayment');
  await runtime.handle([replyTo(capture, 'PaymentCaptured', { amount: (capture.data as { amount: number }).amount }, now())]);
  await runtime.handle([replyTo(await pending(sql, orderId, 'ReserveStock'), 'StockReserved', {}, now())]);
  return { orderId, shipment: await pending(sql, orderId, 'CreateShipment') };
}

/**
 * Sagas one step from done and one poisonous message, all on the inbox before the worker joins so
 * that one fetch brings them together; then the worker runs. Resolves once the poison is
 * dead-lettered (the positive signal) and every other saga is done, with how long those took to
 * flow past the poison from the moment the worker got the batch that held it.
 */
export async function runPoisonScenario(rig: PoisonRig, cause: PoisonCause, options: { others?: number; timeoutMs?: number } = {}): Promise<PoisonOutcome> {
  const { sql, topics } = rig;
  const definition = orderSagaDefinition(topics);
  const fragile = fragileSagaDefinition(topics.orderEvents);
  const { timed, doneAt, deadLetteredAt } = timedStore(rig.store);
  const runtime = createSagaRuntime({
    store: timed,
    registry: new MachineRegistry().register(definition).register(fragile),
    deadLetterTopic: topics.deadLetters,
    poisonAttempts: 3,
    poisonRetryDelayMs: 200,
  });
  const serviceFor = (runtimeOf: SagaRuntime, definitionOf: SagaDefinition) =>
    createOrderService({ runtime: runtimeOf, store: timed, definition: definitionOf, readModel: createMemoryOrderReadModel(), clock: systemClock, settings: { paymentTimeoutMs: 600_000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 } });
  const orders = serviceFor(runtime, definition);

  const others = await Promise.all(Array.from({ length: options.others ?? 6 }, (_, i) => orderAtShipping(orders, runtime, sql, i)));
  const completions = others.map(({ orderId, shipment }) => replyTo(shipment, 'ShipmentCreated', { shipmentId: `shp-${orderId}` }, now()));

  let poisonStream: string;
  let poison: Message | undefined;
  if (cause === 'machine version not registered') {
    // Started by a release that knew version 99; this worker no longer does.
    const retired = { ...definition, version: 99 };
    const writer = createSagaRuntime({ store: rig.store, registry: new MachineRegistry().register(retired) });
    poisonStream = (await serviceFor(writer, retired).placeOrder(orderRequestFor(100, scenarioFor(0)))).orderId;
    poison = replyTo(await pending(sql, poisonStream, 'CapturePayment'), 'PaymentCaptured', { amount: 1 }, now());
  } else if (cause === 'payload fails the schema') {
    // What an operator tried: a capture with no data, for an order waiting on its payment.
    poisonStream = (await orders.placeOrder(orderRequestFor(100, scenarioFor(0)))).orderId;
    poison = replyTo(await pending(sql, poisonStream, 'CapturePayment'), 'PaymentCaptured', null, now());
  } else if (cause === 'guard throws') {
    poisonStream = `fragile-${Date.now()}`;
    await runtime.start(fragile, { type: FRAGILE_STARTED, data: {}, metadata: { messageId: `${poisonStream}/start`, correlationId: poisonStream, causationId: `${poisonStream}/start`, occurredAt: now() } });
    poison = { type: 'Poke', data: { explode: true }, metadata: { messageId: `${poisonStream}/poke`, correlationId: poisonStream, causationId: 'operator', occurredAt: now() } };
  } else if (cause === 'undecodable record') {
    poisonStream = (await orders.placeOrder(orderRequestFor(100, scenarioFor(0)))).orderId;
  } else {
    const target = await orderAtShipping(orders, runtime, sql, 100);
    poisonStream = target.orderId;
    poison = replyTo(target.shipment, 'ShipmentCreated', { shipmentId: 'shp-\u0000-nul' }, now());
  }
  const poisonVersion = (await rig.store.load(poisonStream))!.head.version;
  const isPoison = (message: Message) => (poison ? message.metadata?.messageId === poison.metadata.messageId : message?.type === UNDECODABLE || envelopeProblem(message) !== undefined);

  // The poison between the others, in one publish; the undecodable record beside them.
  const half = Math.floor(completions.length / 2);
  const inbox = (message: Message) => ({ topic: topics.sagaInbox, key: message.metadata.correlationId, message });
  if (cause === 'undecodable record') await rig.publishUndecodable(poisonStream);
  await rig.bus.publish([...completions.slice(0, half), ...(poison ? [poison] : []), ...completions.slice(half)].map(inbox));

  const batches: { at: number; messages: readonly Message[] }[] = [];
  const worker = await rig.bus.subscribe({
    group: `${topics.sagaInbox}-poison-worker`,
    topics: [topics.sagaInbox],
    handler: async ({ messages }) => {
      batches.push({ at: performance.now(), messages });
      await runtime.handle(messages);
    },
  });
  try {
    const deadLetter = await eventually(
      async () => {
        const [letter] = await rig.store.deadLetters({ streamId: poisonStream, limit: 1 });
        expect(letter, `a dead letter of ${poisonStream}`).toBeDefined();
        for (const { orderId } of others) expect(doneAt.has(orderId), `${orderId} done`).toBe(true);
        return letter!;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 25 },
    );
    const batch = batches.find((b) => b.messages.some(isPoison));
    expect(batch, 'the batch that held the poison').toBeDefined();
    const othersInPoisonBatch = new Set(batch!.messages.filter((m) => !isPoison(m)).map((m) => m.metadata.correlationId)).size;
    expect(othersInPoisonBatch, 'other sagas in the batch with the poison').toBeGreaterThan(0);

    expect(deadLetter.reason).toBe(cause === 'undecodable record' ? rig.undecodableReason : EXPECTED_REASON[cause]);
    expect(deadLetter.attempts).toBe(cause === 'machine version not registered' ? 3 : 1);
    // The poison moved nothing, its saga is flagged, and the dead-letter topic was told.
    expect((await rig.store.load(poisonStream))!.head.version).toBe(poisonVersion);
    expect((await rig.store.attention([poisonStream])).get(poisonStream)).toMatchObject({ reason: 'POISON_MESSAGE' });
    const announced = await sql.query<{ reason: string }>(`select message->'data'->>'reason' as reason from xsaga_outbox where topic = $1 and stream_id = $2`, [topics.deadLetters, poisonStream]);
    expect(announced.rows.map((r) => r.reason)).toEqual([deadLetter.reason]);
    for (const { orderId } of others) expect((await rig.store.load(orderId))!.head.status).toBe('done');

    // The others did not wait for the poison: they were done no later than it was dead-lettered.
    const lastDone = Math.max(...others.map(({ orderId }) => doneAt.get(orderId)!));
    expect(lastDone).toBeLessThanOrEqual(deadLetteredAt.get(poisonStream)!);
    const flowedPastMs = Math.round(lastDone - batch!.at);
    console.log(`poison (${cause}, ${rig.label}): other sagas flowed past in ${flowedPastMs} ms (${othersInPoisonBatch} in its batch; dead-lettered ${Math.round(deadLetteredAt.get(poisonStream)! - batch!.at)} ms after the batch arrived)`);
    return { flowedPastMs, deadLetter, othersInPoisonBatch };
  } finally {
    await worker.stop();
  }
}
