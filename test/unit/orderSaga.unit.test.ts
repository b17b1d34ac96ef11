import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../machines/orderSaga.ts';
import type { FailureData, Order, OrderSagaCommand, OrderSagaEvent, OrderSagaInput, StepRecord } from '../../machines/orderTypes.ts';
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
const input: OrderSagaInput = { order, settings: { paymentTimeoutMs: 30_000, maxAttempts: 3 } };

const PAYMENT_DEADLINE = 'xstate.after.paymentTimeout.orderSaga.payment';
const deadlineFired: TimerEvent = { type: PAYMENT_DEADLINE };

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

const repeat = <T>(times: number, item: T): T[] => Array.from({ length: times }, () => item);

describe('order saga: happy path', () => {
  it('starts by capturing the total and arming the payment deadline', () => {
    given(orderSaga, input).whenStarted().then({
      state: 'payment.capturing',
      status: 'active',
      context: { order, attempts: { capture: 1, reserve: 0, ship: 0, release: 0, refund: 0 }, steps: [], failureReason: null },
      emitted: [capturePayment(1)],
      armed: [{ id: PAYMENT_DEADLINE, delay: 30_000, event: { type: PAYMENT_DEADLINE } }],
      cancelled: [],
    });
  });

  it('reserves the stock once the payment is captured, and cancels the deadline', () => {
    given(orderSaga, input)
      .when(captured)
      .then({ state: 'inventory', emitted: [reserveStock(1)], armed: [], cancelled: [PAYMENT_DEADLINE], context: { steps: [capture] } });
  });

  it('creates the shipment once the stock is reserved', () => {
    given(orderSaga, input, [captured])
      .when(reserved)
      .then({ state: 'shipping', emitted: [createShipment(1)], armed: [], cancelled: [], context: { steps: [capture, reserve] } });
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

describe('order saga: payment', () => {
  it('fails on a declined payment without compensating, and cancels the deadline', () => {
    given(orderSaga, input)
      .when(paymentFailed({ reason: 'PAYMENT_DECLINED', retryable: false }))
      .then({ state: 'failed', status: 'done', emitted: [], armed: [], cancelled: [PAYMENT_DEADLINE], context: { failureReason: 'PAYMENT_DECLINED', steps: [] } });
  });

  it('retries a transient failure with the next attempt, leaving the deadline of `payment` alone', () => {
    given(orderSaga, input)
      .when(paymentFailed(transient))
      .then({ state: 'payment.capturing', emitted: [capturePayment(2)], armed: [], cancelled: [], context: { attempts: { capture: 2 } } })
      .when(paymentFailed(transient))
      .then({ state: 'payment.capturing', emitted: [capturePayment(3)], armed: [], cancelled: [], context: { failureReason: null } });
  });

  it('fails as PAYMENT_UNAVAILABLE when the transient failures reach maxAttempts', () => {
    given(orderSaga, input, repeat(2, paymentFailed(transient)))
      .when(paymentFailed(transient))
      .then({ state: 'failed', emitted: [], cancelled: [PAYMENT_DEADLINE], context: { failureReason: 'PAYMENT_UNAVAILABLE', attempts: { capture: 3 } } });
  });

  it('takes a final refusal on a retry at its word', () => {
    given(orderSaga, input, [paymentFailed(transient)])
      .when(paymentFailed({ reason: 'PAYMENT_DECLINED', retryable: false }))
      .then({ state: 'failed', emitted: [], context: { failureReason: 'PAYMENT_DECLINED' } });
  });

  it('proceeds when a retried capture succeeds', () => {
    given(orderSaga, input, [paymentFailed(transient)])
      .when(captured)
      .then({ state: 'inventory', emitted: [reserveStock(1)], cancelled: [PAYMENT_DEADLINE], context: { steps: [capture] } });
  });

  it('voids the payment when the deadline passes, and ignores a late capture', () => {
    given(orderSaga, input)
      .when(deadlineFired)
      .then({
        state: 'compensating.refundingPayment',
        emitted: [refundPayment(1)],
        armed: [],
        context: { failureReason: 'PAYMENT_TIMEOUT', steps: [] },
        rejects: [captured, paymentFailed(transient)],
      })
      .when(refunded)
      .then({ state: 'failed', status: 'done', emitted: [], context: { failureReason: 'PAYMENT_TIMEOUT', steps: [refund] } });
  });

  it('lets the deadline cover every attempt', () => {
    given(orderSaga, input, repeat(2, paymentFailed(transient)))
      .when(deadlineFired)
      .then({ state: 'compensating.refundingPayment', emitted: [refundPayment(1)], context: { failureReason: 'PAYMENT_TIMEOUT' } });
  });

  it('ignores a deadline that fires after the capture', () => {
    given(orderSaga, input, [captured]).when(deadlineFired).then({ state: 'inventory', emitted: [], context: { failureReason: null }, rejects: [deadlineFired] });
  });
});

describe('order saga: inventory', () => {
  it('refunds the payment when the stock is out', () => {
    given(orderSaga, input, [captured])
      .when(reservationFailed({ reason: 'OUT_OF_STOCK', retryable: false }))
      .then({ state: 'compensating.refundingPayment', emitted: [refundPayment(1)], context: { failureReason: 'OUT_OF_STOCK', steps: [capture] } })
      .when(refunded)
      .then({ state: 'failed', status: 'done', emitted: [], context: { failureReason: 'OUT_OF_STOCK', steps: [capture, refund] } });
  });

  it('retries a transient reservation failure with the next attempt', () => {
    given(orderSaga, input, [captured])
      .when(reservationFailed(transient))
      .then({ state: 'inventory', emitted: [reserveStock(2)], armed: [], cancelled: [] })
      .when(reservationFailed(transient))
      .then({ state: 'inventory', emitted: [reserveStock(3)], context: { attempts: { reserve: 3 }, failureReason: null } })
      .when(reserved)
      .then({ state: 'shipping', emitted: [createShipment(1)], context: { steps: [capture, reserve] } });
  });

  it('refunds as INVENTORY_UNAVAILABLE when the transient failures reach maxAttempts', () => {
    given(orderSaga, input, [captured, ...repeat(2, reservationFailed(transient))])
      .when(reservationFailed(transient), refunded)
      .then({ state: 'failed', emitted: [refundPayment(1)], context: { failureReason: 'INVENTORY_UNAVAILABLE', steps: [capture, refund] } });
  });

  it('does not accept a duplicate capture', () => {
    given(orderSaga, input, [captured]).when(captured).then({ state: 'inventory', emitted: [], rejects: [captured, refunded, released] });
  });
});

describe('order saga: shipping', () => {
  it('undoes the completed steps in exact reverse order when the address is undeliverable', () => {
    given(orderSaga, input, [captured, reserved])
      .when(shipmentFailed({ reason: 'UNDELIVERABLE', retryable: false }))
      .then({
        state: 'compensating.releasingStock',
        emitted: [releaseStock(1)],
        context: { failureReason: 'UNDELIVERABLE', steps: [capture, reserve] },
        rejects: [refunded],
      })
      .when(released)
      .then({ state: 'compensating.refundingPayment', emitted: [refundPayment(1)], context: { steps: [capture, reserve, release] } })
      .when(refunded)
      .then({ state: 'failed', status: 'done', emitted: [], context: { failureReason: 'UNDELIVERABLE', steps: [capture, reserve, release, refund] } });
  });

  it('retries a transient shipment failure with the next attempt', () => {
    given(orderSaga, input, [captured, reserved])
      .when(shipmentFailed(transient))
      .then({ state: 'shipping', emitted: [createShipment(2)], context: { attempts: { ship: 2 } } })
      .when(shipped)
      .then({ state: 'completed', context: { steps: [capture, reserve, ship] } });
  });

  it('compensates as SHIPPING_UNAVAILABLE when the transient failures reach maxAttempts', () => {
    given(orderSaga, input, [captured, reserved, ...repeat(2, shipmentFailed(transient))])
      .when(shipmentFailed(transient), released, refunded)
      .then({
        state: 'failed',
        emitted: [releaseStock(1), refundPayment(1)],
        context: { failureReason: 'SHIPPING_UNAVAILABLE', steps: [capture, reserve, release, refund] },
      });
  });
});

describe('order saga: compensation is retried until it succeeds', () => {
  const undeliverable = [captured, reserved, shipmentFailed({ reason: 'UNDELIVERABLE', retryable: false })];

  it.each([true, false])('re-sends ReleaseStock after a failed release (retryable %s)', (retryable) => {
    given(orderSaga, input, undeliverable)
      .when(releaseFailed({ reason: 'WAREHOUSE_DOWN', retryable }))
      .then({ state: 'compensating.releasingStock', emitted: [releaseStock(2)], armed: [], cancelled: [], context: { failureReason: 'UNDELIVERABLE' } });
  });

  it.each([true, false])('re-sends RefundPayment after a failed refund (retryable %s)', (retryable) => {
    given(orderSaga, input, [...undeliverable, released])
      .when(refundFailed({ reason: 'GATEWAY_DOWN', retryable }))
      .then({ state: 'compensating.refundingPayment', emitted: [refundPayment(2)], context: { failureReason: 'UNDELIVERABLE' } });
  });

  it('keeps trying past maxAttempts and only fails once every compensation succeeded', () => {
    const attempts = 10;
    given(orderSaga, input, undeliverable)
      .when(...repeat(attempts, releaseFailed(transient)))
      .then({
        state: 'compensating.releasingStock',
        status: 'active',
        emitted: Array.from({ length: attempts }, (_, i) => releaseStock(i + 2)),
        context: { steps: [capture, reserve] },
        rejects: [refunded],
      })
      .when(released, ...repeat(attempts, refundFailed({ reason: 'CARD_CLOSED', retryable: false })))
      .then({
        state: 'compensating.refundingPayment',
        status: 'active',
        emitted: [refundPayment(1), ...Array.from({ length: attempts }, (_, i) => refundPayment(i + 2))],
      })
      .when(refunded)
      .then({ state: 'failed', context: { attempts: { release: attempts + 1, refund: attempts + 1 }, steps: [capture, reserve, release, refund] } });
  });
});

describe('order saga: final states', () => {
  it('accepts nothing once completed', () => {
    given(orderSaga, input, [captured, reserved, shipped])
      .when(...allReplies, deadlineFired)
      .then({ state: 'completed', status: 'done', emitted: [], armed: [], cancelled: [], rejects: [...allReplies, deadlineFired] });
  });

  it('accepts nothing once failed', () => {
    given(orderSaga, input, [paymentFailed({ reason: 'PAYMENT_DECLINED', retryable: false })])
      .when(...allReplies, deadlineFired)
      .then({ state: 'failed', status: 'done', emitted: [], armed: [], cancelled: [], rejects: [...allReplies, deadlineFired] });
  });
});

describe('order saga: determinism', () => {
  it('gives the same snapshot and commands for the same input and events', () => {
    const story = [captured, reserved, shipmentFailed(transient), shipmentFailed({ reason: 'UNDELIVERABLE', retryable: false }), releaseFailed(transient), released];
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
