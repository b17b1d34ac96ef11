import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../machines/orderSaga.ts';
import type { FailureData, Order, OrderSagaCommand, OrderSagaEvent, OrderSagaInput, StepRecord } from '../../machines/orderTypes.ts';
import { backoffDelay, jitterOf } from '../../machines/retryBackoff.ts';
import { given, type TimerEvent } from '../support/sagaSpec.ts';

const order: Order = {
  orderId: 'ord-2024-0001',
  customerId: 'cus-42',
  currency: 'EUR',
  items: [
    { sku: 'MUG-BLUE', quantity: 2, unitPrice: 1_250 },
    { sku: 'TEE-L', quantity: 1, unitPrice: 2_499 },
  ],
  total: 4_999,
  paymentToken: 'tok_visa_4242',
  shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  placedAt: '2024-05-01T09:30:00.000Z',
};
const input: OrderSagaInput = {
  order,
  settings: { paymentTimeoutMs: 30_000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 3 },
};

const PAYMENT_DEADLINE = 'xstate.after.paymentTimeout.orderSaga.payment';
const deadlineFired: TimerEvent = { type: PAYMENT_DEADLINE };

/** The backoff timer of a `backingOff` state, and its firing. */
const BACKOFF = {
  capture: 'xstate.after.retryBackoff.orderSaga.payment.backingOff',
  reserve: 'xstate.after.retryBackoff.orderSaga.inventory.backingOff',
  ship: 'xstate.after.retryBackoff.orderSaga.shipping.backingOff',
  release: 'xstate.after.retryBackoff.orderSaga.compensating.releasingStock.backingOff',
  refund: 'xstate.after.retryBackoff.orderSaga.compensating.refundingPayment.backingOff',
} as const;
const backoffFired = (action: keyof typeof BACKOFF): TimerEvent => ({ type: BACKOFF[action] as TimerEvent['type'] });
const backoffArmed = (action: keyof typeof BACKOFF) => [{ id: BACKOFF[action], delay: expect.any(Number), event: { type: BACKOFF[action] } }];

// Operator actions.
const operator = { operator: 'ops-1', reason: 'the warehouse is back' };
const retryRequested: OrderSagaEvent = { type: 'RetryRequested', data: operator };
const resumeRequested: OrderSagaEvent = { type: 'ResumeRequested', data: operator };
const cancelRequested: OrderSagaEvent = { type: 'CancelRequested', data: { operator: 'ops-1', reason: 'customer called' } };

// Replies from the participants.
const captured: OrderSagaEvent = { type: 'PaymentCaptured', data: { amount: 4_999 } };
const reserved: OrderSagaEvent = { type: 'StockReserved', data: {} };
const shipped: OrderSagaEvent = { type: 'ShipmentCreated', data: { shipmentId: 'shp-7' } };
const released: OrderSagaEvent = { type: 'StockReleased', data: {} };
const refunded: OrderSagaEvent = { type: 'PaymentRefunded', data: { amount: 4_999 } };
const transient: FailureData = { reason: 'TIMEOUT', retryable: true };
const paymentFailed = (data: FailureData): OrderSagaEvent => ({ type: 'PaymentFailed', data });
const reservationFailed = (data: FailureData): OrderSagaEvent => ({ type: 'StockReservationFailed', data });
const shipmentFailed = (data: FailureData): OrderSagaEvent => ({ type: 'ShipmentFailed', data });
const releaseFailed = (data: FailureData): OrderSagaEvent => ({ type: 'StockReleaseFailed', data });
const refundFailed = (data: FailureData): OrderSagaEvent => ({ type: 'PaymentRefundFailed', data });
const allReplies: readonly OrderSagaEvent[] = [
  captured, paymentFailed(transient), refunded, refundFailed(transient), reserved,
  reservationFailed(transient), released, releaseFailed(transient), shipped, shipmentFailed(transient),
];

// Commands to the participants, spelled out so a wrong amount or item list fails.
const capturePayment = (attempt: number): OrderSagaCommand => ({
  type: 'CapturePayment',
  data: { orderId: 'ord-2024-0001', amount: 4_999, currency: 'EUR', paymentToken: 'tok_visa_4242', attempt },
});
const refundPayment = (attempt: number): OrderSagaCommand => ({
  type: 'RefundPayment',
  data: { orderId: 'ord-2024-0001', amount: 4_999, currency: 'EUR', attempt },
});
const reserveStock = (attempt: number): OrderSagaCommand => ({ type: 'ReserveStock', data: { orderId: 'ord-2024-0001', items: order.items, attempt } });
const releaseStock = (attempt: number): OrderSagaCommand => ({ type: 'ReleaseStock', data: { orderId: 'ord-2024-0001', items: order.items, attempt } });
const createShipment = (attempt: number): OrderSagaCommand => ({
  type: 'CreateShipment',
  data: { orderId: 'ord-2024-0001', address: order.shippingAddress, items: order.items, attempt },
});

const capture: StepRecord = { step: 'payment', action: 'capture' };
const reserve: StepRecord = { step: 'inventory', action: 'reserve' };
const ship: StepRecord = { step: 'shipping', action: 'ship' };
const release: StepRecord = { step: 'inventory', action: 'release' };
const refund: StepRecord = { step: 'payment', action: 'refund' };


describe('order saga: happy path', () => {
  it('starts by capturing the total and arming the payment deadline', () => {
    given(orderSaga, input).whenStarted().then({
      state: 'payment.capturing',
      status: 'active',
      context: { order, attempts: { capture: 1, reserve: 0, ship: 0, release: 0, refund: 0 }, steps: [], failureReason: null, attention: null },
      emitted: [capturePayment(1)],
      armed: [{ id: PAYMENT_DEADLINE, delay: 30_000, event: { type: PAYMENT_DEADLINE } }],
      cancelled: [],
    });
  });

  it('reserves the stock once the payment is captured, and cancels the deadline', () => {
    given(orderSaga, input)
      .when(captured)
      .then({ state: 'inventory.reserving', emitted: [reserveStock(1)], armed: [], cancelled: [PAYMENT_DEADLINE], context: { steps: [capture] } });
  });

  it('creates the shipment once the stock is reserved', () => {
    given(orderSaga, input, [captured])
      .when(reserved)
      .then({ state: 'shipping.creating', emitted: [createShipment(1)], armed: [], cancelled: [], context: { steps: [capture, reserve] } });
  });

  it('completes once the shipment is created', () => {
    given(orderSaga, input, [captured, reserved])
      .when(shipped)
      .then({ state: 'completed', status: 'done', emitted: [], context: { steps: [capture, reserve, ship], failureReason: null } });
  });

  it('runs the whole story in one go', () => {
    given(orderSaga, input)
      .when(captured, reserved, shipped)
      .then({ state: 'completed', emitted: [reserveStock(1), createShipment(1)], cancelled: [PAYMENT_DEADLINE] });
  });
});

/** A transient failure, then the backoff timer: the way every retry goes. */
const failedThenRetried = (failure: OrderSagaEvent, action: keyof typeof BACKOFF) => [failure, backoffFired(action)];

describe('order saga: payment', () => {
  it('fails on a declined payment without compensating, and cancels the deadline', () => {
    given(orderSaga, input)
      .when(paymentFailed({ reason: 'PAYMENT_DECLINED', retryable: false }))
      .then({ state: 'failed', status: 'done', emitted: [], armed: [], cancelled: [PAYMENT_DEADLINE], context: { failureReason: 'PAYMENT_DECLINED', steps: [] } });
  });

  it('waits before it retries a transient failure, leaving the deadline of `payment` alone', () => {
    given(orderSaga, input)
      .when(paymentFailed(transient))
      .then({ state: 'payment.backingOff', emitted: [], armed: backoffArmed('capture'), cancelled: [], context: { attempts: { capture: 1 } } })
      // Leaving `backingOff` cancels its timer, which has just fired: deleting a fired timer's row is a no-op.
      .when(backoffFired('capture'))
      .then({ state: 'payment.capturing', emitted: [capturePayment(2)], armed: [], cancelled: [BACKOFF.capture], context: { attempts: { capture: 2 } } })
      .when(...failedThenRetried(paymentFailed(transient), 'capture'))
      .then({ state: 'payment.capturing', emitted: [capturePayment(3)], context: { failureReason: null } });
  });

  it('fails as PAYMENT_UNAVAILABLE when the transient failures reach maxAttempts', () => {
    given(orderSaga, input, [...failedThenRetried(paymentFailed(transient), 'capture'), ...failedThenRetried(paymentFailed(transient), 'capture')])
      .when(paymentFailed(transient))
      .then({ state: 'failed', emitted: [], cancelled: [PAYMENT_DEADLINE], context: { failureReason: 'PAYMENT_UNAVAILABLE', attempts: { capture: 3 } } });
  });

  it('takes a final refusal on a retry at its word', () => {
    given(orderSaga, input, failedThenRetried(paymentFailed(transient), 'capture'))
      .when(paymentFailed({ reason: 'PAYMENT_DECLINED', retryable: false }))
      .then({ state: 'failed', emitted: [], context: { failureReason: 'PAYMENT_DECLINED' } });
  });

  it('proceeds when a retried capture succeeds', () => {
    given(orderSaga, input, failedThenRetried(paymentFailed(transient), 'capture'))
      .when(captured)
      .then({ state: 'inventory.reserving', emitted: [reserveStock(1)], cancelled: [PAYMENT_DEADLINE], context: { steps: [capture] } });
  });

  it('voids the payment when the deadline passes, and ignores a late capture', () => {
    given(orderSaga, input)
      .when(deadlineFired)
      .then({
        state: 'compensating.refundingPayment.refunding',
        emitted: [refundPayment(1)],
        armed: [],
        context: { failureReason: 'PAYMENT_TIMEOUT', steps: [] },
        rejects: [captured, paymentFailed(transient)],
      })
      .when(refunded)
      .then({ state: 'failed', status: 'done', emitted: [], context: { failureReason: 'PAYMENT_TIMEOUT', steps: [refund] } });
  });

  it('lets the deadline cover every attempt and every wait, and cancels the backoff timer it interrupts', () => {
    given(orderSaga, input, [...failedThenRetried(paymentFailed(transient), 'capture'), paymentFailed(transient)])
      .when(deadlineFired)
      .then({
        state: 'compensating.refundingPayment.refunding',
        emitted: [refundPayment(1)],
        cancelled: [BACKOFF.capture, PAYMENT_DEADLINE],
        context: { failureReason: 'PAYMENT_TIMEOUT' },
      });
  });

  it('ignores a deadline that fires after the capture', () => {
    given(orderSaga, input, [captured])
      .when(deadlineFired)
      .then({ state: 'inventory.reserving', emitted: [], context: { failureReason: null }, rejects: [deadlineFired] });
  });
});

describe('order saga: inventory', () => {
  it('refunds the payment when the stock is out', () => {
    given(orderSaga, input, [captured])
      .when(reservationFailed({ reason: 'OUT_OF_STOCK', retryable: false }))
      .then({ state: 'compensating.refundingPayment.refunding', emitted: [refundPayment(1)], context: { failureReason: 'OUT_OF_STOCK', steps: [capture] } })
      .when(refunded)
      .then({ state: 'failed', status: 'done', emitted: [], context: { failureReason: 'OUT_OF_STOCK', steps: [capture, refund] } });
  });

  it('waits, then retries a transient reservation failure with the next attempt', () => {
    given(orderSaga, input, [captured])
      .when(reservationFailed(transient))
      .then({ state: 'inventory.backingOff', emitted: [], armed: backoffArmed('reserve'), cancelled: [] })
      .when(backoffFired('reserve'))
      .then({ state: 'inventory.reserving', emitted: [reserveStock(2)], armed: [], cancelled: [BACKOFF.reserve] })
      .when(...failedThenRetried(reservationFailed(transient), 'reserve'))
      .then({ state: 'inventory.reserving', emitted: [reserveStock(3)], context: { attempts: { reserve: 3 }, failureReason: null } })
      .when(reserved)
      .then({ state: 'shipping.creating', emitted: [createShipment(1)], context: { steps: [capture, reserve] } });
  });

  it('refunds as INVENTORY_UNAVAILABLE when the transient failures reach maxAttempts', () => {
    given(orderSaga, input, [captured, ...failedThenRetried(reservationFailed(transient), 'reserve'), ...failedThenRetried(reservationFailed(transient), 'reserve')])
      .when(reservationFailed(transient), refunded)
      .then({ state: 'failed', emitted: [refundPayment(1)], context: { failureReason: 'INVENTORY_UNAVAILABLE', steps: [capture, refund] } });
  });

  it('does not accept a duplicate capture', () => {
    given(orderSaga, input, [captured]).when(captured).then({ state: 'inventory.reserving', emitted: [], rejects: [captured, refunded, released] });
  });
});

describe('order saga: shipping', () => {
  it('undoes the completed steps in exact reverse order when the address is undeliverable', () => {
    given(orderSaga, input, [captured, reserved])
      .when(shipmentFailed({ reason: 'UNDELIVERABLE', retryable: false }))
      .then({
        state: 'compensating.releasingStock.releasing',
        emitted: [releaseStock(1)],
        context: { failureReason: 'UNDELIVERABLE', steps: [capture, reserve] },
        rejects: [refunded],
      })
      .when(released)
      .then({ state: 'compensating.refundingPayment.refunding', emitted: [refundPayment(1)], context: { steps: [capture, reserve, release] } })
      .when(refunded)
      .then({ state: 'failed', status: 'done', emitted: [], context: { failureReason: 'UNDELIVERABLE', steps: [capture, reserve, release, refund] } });
  });

  it('waits, then retries a transient shipment failure with the next attempt', () => {
    given(orderSaga, input, [captured, reserved])
      .when(shipmentFailed(transient))
      .then({ state: 'shipping.backingOff', emitted: [], armed: backoffArmed('ship') })
      .when(backoffFired('ship'))
      .then({ state: 'shipping.creating', emitted: [createShipment(2)], context: { attempts: { ship: 2 } } })
      .when(shipped)
      .then({ state: 'completed', context: { steps: [capture, reserve, ship] } });
  });

  it('compensates as SHIPPING_UNAVAILABLE when the transient failures reach maxAttempts', () => {
    given(orderSaga, input, [captured, reserved, ...failedThenRetried(shipmentFailed(transient), 'ship'), ...failedThenRetried(shipmentFailed(transient), 'ship')])
      .when(shipmentFailed(transient), released, refunded)
      .then({
        state: 'failed',
        emitted: [releaseStock(1), refundPayment(1)],
        context: { failureReason: 'SHIPPING_UNAVAILABLE', steps: [capture, reserve, release, refund] },
      });
  });
});

describe('order saga: compensation retries with backoff, then parks', () => {
  const undeliverable = [captured, reserved, shipmentFailed({ reason: 'UNDELIVERABLE', retryable: false })];

  it.each([true, false])('waits, then re-sends ReleaseStock after a failed release (retryable %s)', (retryable) => {
    given(orderSaga, input, undeliverable)
      .when(releaseFailed({ reason: 'WAREHOUSE_DOWN', retryable }))
      .then({ state: 'compensating.releasingStock.backingOff', emitted: [], armed: backoffArmed('release'), cancelled: [], context: { failureReason: 'UNDELIVERABLE' } })
      .when(backoffFired('release'))
      .then({ state: 'compensating.releasingStock.releasing', emitted: [releaseStock(2)], armed: [] });
  });

  it.each([true, false])('waits, then re-sends RefundPayment after a failed refund (retryable %s)', (retryable) => {
    given(orderSaga, input, [...undeliverable, released])
      .when(refundFailed({ reason: 'GATEWAY_DOWN', retryable }), backoffFired('refund'))
      .then({ state: 'compensating.refundingPayment.refunding', emitted: [refundPayment(2)], context: { failureReason: 'UNDELIVERABLE' } });
  });

  it('parks after parkAfterAttempts failures in a row, saying why, and accepts nothing but an operator', () => {
    given(orderSaga, input, [...undeliverable, ...failedThenRetried(releaseFailed(transient), 'release'), ...failedThenRetried(releaseFailed(transient), 'release')])
      .when(releaseFailed({ reason: 'WAREHOUSE_DOWN', retryable: true }))
      .then({
        state: 'compensating.releasingStock.parked',
        status: 'active',
        emitted: [],
        armed: [],
        context: { attention: { reason: 'COMPENSATION_PARKED', action: 'release', attempts: 3, lastError: 'WAREHOUSE_DOWN' } },
        rejects: [releaseFailed(transient), refunded, retryRequested, cancelRequested, backoffFired('release')],
      })
      .when(resumeRequested)
      .then({ state: 'compensating.releasingStock.releasing', emitted: [releaseStock(4)], context: { attention: null, retryFrom: { release: 3 } } })
      // The count towards parking started over: two more failures only back off.
      .when(...failedThenRetried(releaseFailed(transient), 'release'), ...failedThenRetried(releaseFailed(transient), 'release'), released)
      .then({ state: 'compensating.refundingPayment.refunding', emitted: [releaseStock(5), releaseStock(6), refundPayment(1)], context: { steps: [capture, reserve, release] } });
  });

  it('parks a refund too, and completes the compensation once resumed', () => {
    const failures = Array.from({ length: 2 }, () => failedThenRetried(refundFailed({ reason: 'CARD_CLOSED', retryable: false }), 'refund')).flat();
    given(orderSaga, input, [...undeliverable, released, ...failures])
      .when(refundFailed({ reason: 'CARD_CLOSED', retryable: false }))
      .then({ state: 'compensating.refundingPayment.parked', context: { attention: { reason: 'COMPENSATION_PARKED', action: 'refund', attempts: 3, lastError: 'CARD_CLOSED' } } })
      .when(resumeRequested, refunded)
      .then({ state: 'failed', status: 'done', emitted: [refundPayment(4)], context: { attempts: { release: 1, refund: 4 }, steps: [capture, reserve, release, refund], attention: null } });
  });

  it('takes a late success while backing off or parked: the compensation did happen, and nobody needs to act', () => {
    given(orderSaga, input, [...undeliverable, releaseFailed(transient)])
      .when(released)
      .then({ state: 'compensating.refundingPayment.refunding', emitted: [refundPayment(1)], cancelled: [BACKOFF.release] });
    const failures = Array.from({ length: 2 }, () => failedThenRetried(releaseFailed(transient), 'release')).flat();
    given(orderSaga, input, [...undeliverable, ...failures, releaseFailed(transient)])
      .when(released)
      .then({ state: 'compensating.refundingPayment.refunding', emitted: [refundPayment(1)], context: { attention: null } });
  });
});

describe('order saga: backoff', () => {
  it('waits longer as the retries of a step add up, within full jitter under base × 2^(retry − 1), capped', () => {
    const settings = { retryBaseMs: 200, retryMaxMs: 60_000 };
    for (let retry = 1; retry <= 20; retry++) {
      const ceiling = Math.min(60_000, 200 * 2 ** (retry - 1));
      for (let seed = 0; seed < 50; seed++) {
        const delay = backoffDelay(settings, retry, `order-${seed}:refund:${retry}`);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it.each([
    ['the sagas that fail together', (i: number) => `order-${i}:release:3`],
    ['the attempts of one saga', (i: number) => `ord-2024-0001:release:${i + 1}`],
  ])('spreads %s evenly, and draws the same wait on replay', (_, seed) => {
    const draws = Array.from({ length: 1000 }, (_, i) => jitterOf(seed(i)));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    // Every tenth of [0, 1) gets its share, give or take.
    const deciles = Array.from({ length: 10 }, (_, d) => draws.filter((x) => Math.floor(x * 10) === d).length);
    for (const count of deciles) expect(count).toBeGreaterThan(60);
    expect(jitterOf(seed(7))).toBe(jitterOf(seed(7)));
  });

  it('arms the timer with the planned wait, and an operator retry starts the backoff over', () => {
    const failures = [...failedThenRetried(paymentFailed(transient), 'capture')];
    const { outcome } = given(orderSaga, input, failures).when(paymentFailed(transient));
    const second = outcome.armed[0]!.delay;
    expect(second).toBe(backoffDelay(input.settings, 2, `${order.orderId}:capture:2`));
    expect(second).toBe(outcome.snapshot.context.backoffMs);
    given(orderSaga, input, [...failures, paymentFailed(transient)])
      .when(retryRequested)
      .then({ state: 'payment.capturing', emitted: [capturePayment(3)], cancelled: [BACKOFF.capture], context: { retryFrom: { capture: 2 } } });
  });
});

describe('order saga: operator actions', () => {
  it('re-sends a backing-off step at once on an operator retry', () => {
    given(orderSaga, input, [captured, reserved, shipmentFailed(transient)])
      .when(retryRequested)
      .then({ state: 'shipping.creating', emitted: [createShipment(2)], cancelled: [BACKOFF.ship] });
  });

  it('cancels during payment by voiding it, and ends FAILED with CANCELLED', () => {
    given(orderSaga, input)
      .when(cancelRequested)
      .then({ state: 'compensating.refundingPayment.refunding', emitted: [refundPayment(1)], cancelled: [PAYMENT_DEADLINE], context: { failureReason: 'CANCELLED' } })
      .when(refunded)
      .then({ state: 'failed', status: 'done', context: { failureReason: 'CANCELLED', steps: [refund] } });
  });

  it('cancels during inventory by releasing (which voids a reservation in flight), then refunding', () => {
    given(orderSaga, input, [captured])
      .when(cancelRequested, released, refunded)
      .then({ state: 'failed', emitted: [releaseStock(1), refundPayment(1)], context: { failureReason: 'CANCELLED', steps: [capture, release, refund] } });
  });

  it('refuses a cancel while a shipment may be created, and once shipped; accepts it between shipping attempts', () => {
    given(orderSaga, input, [captured, reserved]).when().then({ state: 'shipping.creating', rejects: [cancelRequested] });
    given(orderSaga, input, [captured, reserved, shipped]).when().then({ state: 'completed', rejects: [cancelRequested, retryRequested, resumeRequested] });
    given(orderSaga, input, [captured, reserved, shipmentFailed(transient)])
      .when(cancelRequested)
      .then({ state: 'compensating.releasingStock.releasing', emitted: [releaseStock(1)], cancelled: [BACKOFF.ship], context: { failureReason: 'CANCELLED' } });
  });

  it('refuses a cancel once compensating, and a retry or resume where nothing waits for one', () => {
    given(orderSaga, input, [deadlineFired]).when().then({ rejects: [cancelRequested, retryRequested, resumeRequested] });
    given(orderSaga, input).when().then({ state: 'payment.capturing', rejects: [retryRequested, resumeRequested] });
  });
});

describe('order saga: final states', () => {
  const everything = [...allReplies, deadlineFired, retryRequested, resumeRequested, cancelRequested];
  it('accepts nothing once completed', () => {
    given(orderSaga, input, [captured, reserved, shipped])
      .when(...everything)
      .then({ state: 'completed', status: 'done', emitted: [], armed: [], cancelled: [], rejects: everything });
  });

  it('accepts nothing once failed', () => {
    given(orderSaga, input, [paymentFailed({ reason: 'PAYMENT_DECLINED', retryable: false })])
      .when(...everything)
      .then({ state: 'failed', status: 'done', emitted: [], armed: [], cancelled: [], rejects: everything });
  });
});

describe('order saga: determinism', () => {
  it('gives the same snapshot and commands for the same input and events', () => {
    const story = [
      captured, reserved, shipmentFailed(transient), backoffFired('ship'), shipmentFailed({ reason: 'UNDELIVERABLE', retryable: false }),
      releaseFailed(transient), backoffFired('release'), released,
    ];
    const run = () => {
      const { outcome } = given(orderSaga, structuredClone(input)).when(...story);
      return { persisted: orderSaga.getPersistedSnapshot(outcome.snapshot), emitted: outcome.emitted, armed: outcome.armed, cancelled: outcome.cancelled };
    };
    const first = run();
    expect(first.emitted).toHaveLength(6);
    expect(run()).toEqual(first);
    expect(JSON.stringify(run())).toBe(JSON.stringify(first));
  });
});
