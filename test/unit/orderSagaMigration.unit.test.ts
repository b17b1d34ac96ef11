import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { runMigrateCommand } from '../../app/commands/migrate.ts';
import { loadConfig } from '../../app/config.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import type { OrderSagaInput } from '../../machines/orderTypes.ts';
import { orderSagaV2Events } from '../../orders/orderEvents.ts';
import { ORDER_PLACED } from '../../orders/orderSagaDefinition.ts';
import { orderTotal } from '../../orders/placeOrderRequest.ts';
import { timerFiredEnvelope } from '../../runtime/machineEvent.ts';
import { createMessage } from '../../runtime/message.ts';
import { createSagaRuntime, type SagaRuntime } from '../../runtime/sagaRuntime.ts';
import { MACHINE_MIGRATED } from '../../runtime/sagaMigration.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { stateName } from '../../runtime/stateName.ts';
import { verifyReplay } from '../../runtime/verifyReplay.ts';
import { tempDataDir } from '../support/embeddedSystem.ts';
import { eventStoreRows, timersOf } from '../support/storeRows.ts';
import { testClock } from '../support/testClock.ts';

/** A reply or an operator's message into the saga, or its due timer firing. */
type Step = readonly [type: OrderEventType, data: unknown] | 'timer';
type OrderEventType = keyof typeof orderSagaV2Events;

const captured: Step = ['PaymentCaptured', { amount: 1 }];
const reserved: Step = ['StockReserved', {}];
const shipped: Step = ['ShipmentCreated', { shipmentId: 'ship-1' }];
const released: Step = ['StockReleased', {}];
const refunded: Step = ['PaymentRefunded', { amount: 1 }];
const resumed: Step = ['ResumeRequested', { operator: 'ops', reason: 'the cause is fixed' }];
const busy = (type: OrderEventType): Step => [type, { reason: 'BUSY', retryable: true }];
const refused = (type: OrderEventType, reason: string): Step => [type, { reason, retryable: false }];

/** Where an order waits on v1, the steps that put it there, and those that end it on the version it is on afterwards. */
type Waiting = Readonly<{ state: string; before: readonly Step[]; after: readonly Step[]; ends: string }>;

const shipFailed = [captured, reserved, refused('ShipmentFailed', 'UNDELIVERABLE')];
const reserveFailed = [captured, refused('StockReservationFailed', 'OUT_OF_STOCK')];
/** One order in every state of v1 where an order waits, the mapped ones and the payment's, which the migration refuses. */
const WAITING: readonly Waiting[] = [
  { state: 'inventory.reserving', before: [captured], after: [reserved, shipped], ends: 'completed' },
  { state: 'inventory.backingOff', before: [captured, busy('StockReservationFailed')], after: ['timer', reserved, shipped], ends: 'completed' },
  { state: 'shipping.creating', before: [captured, reserved], after: [refused('ShipmentFailed', 'UNDELIVERABLE'), released, refunded], ends: 'failed UNDELIVERABLE' },
  { state: 'shipping.backingOff', before: [captured, reserved, busy('ShipmentFailed')], after: ['timer', shipped], ends: 'completed' },
  { state: 'compensating.releasingStock.releasing', before: shipFailed, after: [released, refunded], ends: 'failed UNDELIVERABLE' },
  { state: 'compensating.releasingStock.backingOff', before: [...shipFailed, busy('StockReleaseFailed')], after: ['timer', released, refunded], ends: 'failed UNDELIVERABLE' },
  {
    state: 'compensating.releasingStock.parked',
    before: [...shipFailed, busy('StockReleaseFailed'), 'timer', busy('StockReleaseFailed')],
    after: [resumed, released, refunded],
    ends: 'failed UNDELIVERABLE',
  },
  { state: 'compensating.refundingPayment.refunding', before: reserveFailed, after: [refunded], ends: 'failed OUT_OF_STOCK' },
  { state: 'compensating.refundingPayment.backingOff', before: [...reserveFailed, busy('PaymentRefundFailed')], after: ['timer', refunded], ends: 'failed OUT_OF_STOCK' },
  {
    state: 'compensating.refundingPayment.parked',
    before: [...reserveFailed, busy('PaymentRefundFailed'), 'timer', busy('PaymentRefundFailed')],
    after: [resumed, refunded],
    ends: 'failed OUT_OF_STOCK',
  },
  { state: 'payment.capturing', before: [], after: [captured, reserved, shipped], ends: 'completed' },
  { state: 'payment.backingOff', before: [busy('PaymentFailed')], after: ['timer', refused('PaymentFailed', 'PAYMENT_DECLINED')], ends: 'failed PAYMENT_DECLINED' },
];
const NOT_MAPPED = ['payment.capturing', 'payment.backingOff'];
const orderIdOf = (waiting: Waiting) => `order-${waiting.state.replaceAll('.', '-')}`;

/** Two attempts at a step, and a compensation parks after its second failure in a row: every state above in a few steps. */
const settings = { paymentTimeoutMs: 3_600_000, maxAttempts: 2, retryBaseMs: 1_000, retryMaxMs: 1_000, parkAfterAttempts: 2 };

describe('migrating orders waiting on order saga v1 to v2 (xsaga migrate orderSaga --from 1 --to 2)', () => {
  const clock = testClock(Date.UTC(2026, 0, 1));
  const at = () => new Date(clock.now()).toISOString();
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let sql: SqlClient;
  let store: SagaStore;
  const printed: string[] = [];
  const migrate = (args: string[]) =>
    runMigrateCommand(loadConfig({ XSAGA_DATA_DIR: data.dir }, { roles: [] }), ['orderSaga', '--from', '1', '--to', '2', '--operator', 'ops', ...args], {
      clock,
      print: (text) => void printed.push(text),
    });
  const open = async () => {
    sql = await createPgliteClient(data.dir);
    store = await createSqlSagaStore(sql);
  };
  const runtimeWith = (env: Record<string, string>) => createSagaRuntime({ store, registry: sagaCatalog({ env }).registry, clock, snapshotEvery: 3 });

  /** Sends one step into the order: a reply names the command it answers, a timer fires at its due time. */
  async function take(runtime: SagaRuntime, orderId: string, step: Step, n: number): Promise<void> {
    const live = (await runtime.loadStored(orderId))!;
    if (step === 'timer') {
      const state = stateName(live.snapshot.value);
      const timer = (await timersOf(sql, orderId)).find((armed) => armed.timerId.endsWith(`.orderSaga.${state}`));
      if (!timer) throw new Error(`${orderId} waits in ${state} with no timer of its own`);
      clock.set(Math.max(clock.now(), Date.parse(timer.dueAt)));
      await runtime.handle([timerFiredEnvelope('inbox', orderId, timer).message]);
      return;
    }
    const [type, payload] = step;
    const answers: readonly string[] = orderSagaV2Events[type].answers ?? [];
    const command = [...live.awaiting].find(([, commandType]) => answers.includes(commandType));
    if (answers.length > 0 && !command) throw new Error(`${orderId} in ${stateName(live.snapshot.value)} asked for nothing ${type} answers`);
    await runtime.handle([createMessage(type, payload, { messageId: `${orderId}/${n}/${type}`, correlationId: orderId, causationId: command?.[0], occurredAt: at() })]);
  }

  beforeAll(async () => {
    data = await tempDataDir();
    await open();
    // The code before the deploy: orders start on v1.
    const v1 = runtimeWith({ XSAGA_MACHINE_VERSIONS: 'orderSaga:1' });
    const definition = sagaCatalog({ env: { XSAGA_MACHINE_VERSIONS: 'orderSaga:1' } }).registry.latest('orderSaga')!;
    for (const [index, waiting] of WAITING.entries()) {
      const orderId = orderIdOf(waiting);
      const request = orderRequestFor(index, scenarioFor(0));
      const input: OrderSagaInput = { order: { orderId, ...request, total: orderTotal(request.items), placedAt: at() }, settings };
      await v1.start(definition, createMessage(ORDER_PLACED, input, { messageId: `${orderId}/placed`, correlationId: orderId, occurredAt: at() }));
      for (const [n, step] of waiting.before.entries()) await take(v1, orderId, step, n);
      expect(stateName((await v1.loadStored(orderId))!.snapshot.value), orderId).toBe(waiting.state);
    }
    await store.close();
    clock.advance(60_000);
  });
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    await data?.remove();
  });

  it('plans every waiting order in a dry run, refuses the payment states, and writes nothing', { timeout: 120_000 }, async () => {
    await open();
    const before = await eventStoreRows(sql);
    await store.close();
    expect(await migrate(['--dry-run'])).toBe(1);
    const plan = printed.at(-1)!;
    for (const waiting of WAITING.filter((w) => !NOT_MAPPED.includes(w.state))) expect(plan).toContain(`would migrate ${orderIdOf(waiting)}: ${waiting.state} → ${waiting.state}`);
    for (const state of NOT_MAPPED) expect(plan).toContain(`REFUSED order-${state.replaceAll('.', '-')} (${state}): the migration does not map ${state}`);
    expect(plan).toContain('dry run: 10 saga(s) would migrate, 2 refused');
    await open();
    expect(await eventStoreRows(sql)).toBe(before);
    await store.close();
  });

  it('moves every order waiting past its payment to v2 with a MachineMigrated event, leaves the payment states on v1, and every order ends as its story says', { timeout: 120_000 }, async () => {
    expect(await migrate([])).toBe(1);
    expect(printed.at(-1)).toContain('10 saga(s) migrated, 2 refused');
    await open();
    const runtime = runtimeWith({});
    for (const waiting of WAITING) {
      const orderId = orderIdOf(waiting);
      const mapped = !NOT_MAPPED.includes(waiting.state);
      const head = (await store.load(orderId))!.head;
      expect(head.machineVersion, orderId).toBe(mapped ? 2 : 1);
      const migrated = (await store.readStream(orderId, 1)).filter((event) => event.message.type === MACHINE_MIGRATED).map((event) => event.message.data);
      expect(migrated, orderId).toEqual(
        mapped ? [expect.objectContaining({ from: 1, to: 2, fromState: waiting.state, toState: waiting.state, operator: 'ops', state: expect.objectContaining({ context: expect.objectContaining({ fraud: null }) }) })] : [],
      );
      for (const [n, step] of waiting.after.entries()) await take(runtime, orderId, step, 100 + n);
      const ended = (await runtime.loadStored(orderId))!;
      expect(ended.definition.version, orderId).toBe(mapped ? 2 : 1);
      expect(ended.snapshot.status, orderId).toBe('done');
      expect([stateName(ended.snapshot.value), ended.snapshot.context.failureReason].filter(Boolean).join(' '), orderId).toBe(waiting.ends);
    }
    // Replay agrees with what the runtime stored: through v1 up to each migration, then through v2.
    expect((await verifyReplay({ store, registry: sagaCatalog().registry })).divergences).toEqual([]);
  });
});
