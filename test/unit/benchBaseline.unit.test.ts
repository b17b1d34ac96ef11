import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { advance, placeOrder, type OrderRecord, type Step } from '../../bench/baseline/orderFlow.ts';
import { compareIo } from '../../bench/ioCheck.ts';
import type { IoCounts } from '../../bench/ioCounts.ts';
import { orderSaga } from '../../machines/orderSaga.ts';
import type { Order, SagaSettings } from '../../machines/orderTypes.ts';
import { stateName } from '../../runtime/stateName.ts';

const settings: SagaSettings = { paymentTimeoutMs: 30_000, maxAttempts: 5, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 };
const order: Order = {
  orderId: 'order-1',
  customerId: 'cust-1',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 999 }],
  total: 1998,
  paymentToken: 'tok_ok',
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  placedAt: '2026-01-01T00:00:00.000Z',
};

type Action = { type: string; params?: { event?: { type: string; data?: unknown }; delay?: number } };
const emitted = (actions: readonly Action[]) => actions.filter((a) => a.type === 'xstate.emit').map((a) => a.params!.event!);
const armed = (actions: readonly Action[]) => actions.filter((a) => a.type === 'xstate.raise' && a.params?.delay !== undefined);
const refusal = (reason: string, retryable = false) => ({ reason, retryable });

/** The replies of each path of the benchmark's mix; `timer` stands for the backoff wait firing. */
const PATHS: Record<string, readonly (readonly [string, unknown] | 'timer')[]> = {
  ok: [['PaymentCaptured', { amount: 1998 }], ['StockReserved', {}], ['ShipmentCreated', { shipmentId: 'shp-order-1' }]],
  'flaky payment': [
    ['PaymentFailed', refusal('PAYMENT_PROVIDER_UNAVAILABLE', true)],
    'timer',
    ['PaymentFailed', refusal('PAYMENT_PROVIDER_UNAVAILABLE', true)],
    'timer',
    ['PaymentCaptured', { amount: 1998 }],
    ['StockReserved', {}],
    ['ShipmentCreated', { shipmentId: 'shp-order-1' }],
  ],
  declined: [['PaymentFailed', refusal('PAYMENT_DECLINED')]],
  'sold out': [['PaymentCaptured', { amount: 1998 }], ['StockReservationFailed', refusal('OUT_OF_STOCK')], ['PaymentRefunded', { amount: 1998 }]],
  undeliverable: [
    ['PaymentCaptured', { amount: 1998 }],
    ['StockReserved', {}],
    ['ShipmentFailed', refusal('UNDELIVERABLE')],
    ['StockReleased', {}],
    ['PaymentRefunded', { amount: 1998 }],
  ],
};

describe("the raw baseline's hand-written order flow", () => {
  for (const [path, replies] of Object.entries(PATHS)) {
    it(`takes the ${path} path as xsaga's statechart does: same states, commands, timers armed and outcome`, () => {
      let [snapshot, actions] = initialTransition(orderSaga, { order, settings }) as [AnyMachineSnapshot, Action[]];
      let step: Step | undefined = placeOrder(order, settings);
      const compare = (record: OrderRecord) => {
        expect(record.state).toBe(stateName(snapshot.value));
        expect(step!.commands).toEqual(emitted(actions));
        expect(step!.armed).toHaveLength(armed(actions).length);
        expect(record.attempts).toEqual(snapshot.context.attempts);
        expect(record.steps).toEqual(snapshot.context.steps);
        expect(record.failureReason).toBe(snapshot.context.failureReason);
      };
      compare(step.record);
      let record = step.record;
      for (const reply of replies) {
        if (reply === 'timer') {
          // The machine takes the event its backoff timer raised; the baseline takes the fired timer's message.
          const raised = armed(actions)[0]!.params!.event!;
          [snapshot, actions] = transition(orderSaga, snapshot, raised as never) as [AnyMachineSnapshot, Action[]];
          step = advance(record, 'TimerFired', { timerId: step!.armed[0]!.id });
        } else {
          [snapshot, actions] = transition(orderSaga, snapshot, { type: reply[0], data: reply[1] } as never) as [AnyMachineSnapshot, Action[]];
          step = advance(record, reply[0], reply[1]);
        }
        expect(step).toBeDefined();
        compare(step!.record);
        expect(step!.record.version).toBe(record.version + 1);
        record = step!.record;
      }
      expect(snapshot.status).toBe('done');
      expect(['completed', 'failed']).toContain(record.state);
    });
  }

  it('applies a late reply without moving the order', () => {
    const placed = placeOrder(order, settings).record;
    expect(advance(placed, 'ShipmentCreated', { shipmentId: 'x' })).toBeUndefined();
  });
});

describe("the baseline's I/O check", () => {
  const counts = (overrides: Partial<Record<string, Partial<IoCounts['tables'][string]>>> = {}, documents = 198): IoCounts => {
    const tables: Record<string, IoCounts['tables'][string]> = {
      xsaga_events: { inserted: 836, updated: 0, deleted: 0 },
      xsaga_outbox: { inserted: 1474, updated: 1474, deleted: 0 },
      inventory_stock: { inserted: 26, updated: 350, deleted: 0 },
    };
    for (const [table, row] of Object.entries(overrides)) tables[table] = { ...(tables[table] ?? { inserted: 0, updated: 0, deleted: 0 }), ...row };
    return { tables, messages: { 'saga-inbox': 638 }, documents, indexOperations: 800, mapping: { dynamic: 'strict' } };
  };

  it('passes when only batch-dependent updates, messages and index operations differ', () => {
    const baseline = { ...counts({ xsaga_outbox: { updated: 1474 }, inventory_stock: { updated: 340 } }), messages: { 'saga-inbox': 600 }, indexOperations: 790 };
    const check = compareIo(counts({ xsaga_outbox: { updated: 1600 } }), baseline, 198);
    expect(check.ok).toBe(true);
  });

  it('fails on a table xsaga writes and the baseline does not, on a missing row, a document or a mapping field', () => {
    expect(compareIo(counts({ xsaga_timers: { inserted: 218, deleted: 218 } }), counts(), 198).ok).toBe(false);
    expect(compareIo(counts(), counts({ xsaga_events: { inserted: 835 } }), 198).ok).toBe(false);
    expect(compareIo(counts(), counts({}, 197), 198).ok).toBe(false);
    expect(compareIo(counts(), { ...counts(), mapping: { dynamic: true } }, 198).ok).toBe(false);
    const failed = compareIo(counts(), counts({ xsaga_events: { inserted: 835 } }), 198);
    expect(failed.rows.find((r) => r.what === 'xsaga_events rows inserted')).toMatchObject({ xsaga: 4.222, baseline: 4.217, required: true });
  });
});
