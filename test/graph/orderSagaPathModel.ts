import type { AnyMachineSnapshot } from 'xstate';
import { ORDER_SAGA_VERSION } from '../../machines/orderSaga.ts';
import type { Attempts, FailureData, Order, OrderSagaCommand, OrderSagaInput, StepAction, StepRecord } from '../../machines/orderTypes.ts';
import type { ExpectedStep, SagaPathModel, SagaReference } from './sagaPathModel.ts';

export const PAYMENT_DEADLINE = 'xstate.after.paymentTimeout.orderSaga.payment';

/** Two attempts: every forward step's guard is tried below the limit (a retry) and at it (exhausted). */
const MAX_ATTEMPTS = 2;

const template: Omit<Order, 'orderId'> = {
  customerId: 'cus-paths',
  currency: 'EUR',
  items: [
    { sku: 'SKU-7', quantity: 2, unitPrice: 1_250 },
    { sku: 'SKU-8', quantity: 1, unitPrice: 2_499 },
  ],
  total: 4_999,
  paymentToken: 'tok_paths',
  shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  placedAt: '2030-01-01T00:00:00.000Z',
};

const transient: FailureData = { reason: 'PROVIDER_UNAVAILABLE', retryable: true };
const final = (reason: string): FailureData => ({ reason, retryable: false });

/**
 * The order saga restated as a table of (state, event) → next state and command, written from the
 * README's description rather than from the statechart, so that the generated paths are checked
 * against something the machine did not produce itself.
 */
export function orderSagaReference(input: OrderSagaInput): SagaReference {
  const { order, settings } = input;
  const attempts: Record<StepAction, number> = { capture: 0, reserve: 0, ship: 0, release: 0, refund: 0 };
  const steps: StepRecord[] = [];
  let failureReason: string | null = null;
  let state = '';
  const commandOf: Record<StepAction, () => OrderSagaCommand> = {
    capture: () => ({
      type: 'CapturePayment',
      data: { orderId: order.orderId, amount: order.total, currency: order.currency, paymentToken: order.paymentToken, attempt: attempts.capture },
    }),
    reserve: () => ({ type: 'ReserveStock', data: { orderId: order.orderId, items: order.items, attempt: attempts.reserve } }),
    ship: () => ({ type: 'CreateShipment', data: { orderId: order.orderId, address: order.shippingAddress, items: order.items, attempt: attempts.ship } }),
    release: () => ({ type: 'ReleaseStock', data: { orderId: order.orderId, items: order.items, attempt: attempts.release } }),
    refund: () => ({ type: 'RefundPayment', data: { orderId: order.orderId, amount: order.total, currency: order.currency, attempt: attempts.refund } }),
  };
  const actionOf: Record<string, StepAction> = {
    'payment.capturing': 'capture',
    inventory: 'reserve',
    shipping: 'ship',
    'compensating.releasingStock': 'release',
    'compensating.refundingPayment': 'refund',
  };
  const enter = (next: string): OrderSagaCommand[] => {
    state = next;
    const action = actionOf[next];
    if (!action) return [];
    attempts[action]++;
    return [commandOf[action]()];
  };
  const expected = (emitted: OrderSagaCommand[], armed: string[] = [], cancelled: string[] = []): ExpectedStep => ({
    state,
    status: state === 'completed' || state === 'failed' ? 'done' : 'active',
    emitted,
    armed,
    cancelled,
    context: { attempts: { ...attempts } satisfies Attempts, steps: [...steps], failureReason },
  });
  /** A transient failure is retried while attempts remain; then the step is unavailable. A final one is taken at its word. */
  const retry = (data: FailureData, action: StepAction) => data.retryable && attempts[action] < settings.maxAttempts;
  const fail = (data: FailureData, exhausted: string, next: string) => {
    failureReason = data.retryable ? exhausted : data.reason;
    return enter(next);
  };
  const done = (step: StepRecord, next: string) => {
    steps.push(step);
    return enter(next);
  };

  return {
    start: () => expected(enter('payment.capturing'), [PAYMENT_DEADLINE]),
    step(event) {
      const data = (event as { data?: FailureData }).data!;
      const from = state;
      let emitted: OrderSagaCommand[];
      switch (`${state} ${event.type}`) {
        case 'payment.capturing PaymentCaptured': emitted = done({ step: 'payment', action: 'capture' }, 'inventory'); break;
        case 'payment.capturing PaymentFailed': emitted = retry(data, 'capture') ? enter('payment.capturing') : fail(data, 'PAYMENT_UNAVAILABLE', 'failed'); break;
        case `payment.capturing ${PAYMENT_DEADLINE}`: emitted = fail(final('PAYMENT_TIMEOUT'), '', 'compensating.refundingPayment'); break;
        case 'inventory StockReserved': emitted = done({ step: 'inventory', action: 'reserve' }, 'shipping'); break;
        case 'inventory StockReservationFailed': emitted = retry(data, 'reserve') ? enter('inventory') : fail(data, 'INVENTORY_UNAVAILABLE', 'compensating.refundingPayment'); break;
        case 'shipping ShipmentCreated': emitted = done({ step: 'shipping', action: 'ship' }, 'completed'); break;
        case 'shipping ShipmentFailed': emitted = retry(data, 'ship') ? enter('shipping') : fail(data, 'SHIPPING_UNAVAILABLE', 'compensating.releasingStock'); break;
        case 'compensating.releasingStock StockReleased': emitted = done({ step: 'inventory', action: 'release' }, 'compensating.refundingPayment'); break;
        case 'compensating.releasingStock StockReleaseFailed': emitted = enter('compensating.releasingStock'); break;
        case 'compensating.refundingPayment PaymentRefunded': emitted = done({ step: 'payment', action: 'refund' }, 'failed'); break;
        case 'compensating.refundingPayment PaymentRefundFailed': emitted = enter('compensating.refundingPayment'); break;
        default: throw new Error(`the reference has the order saga in ${state} ignore ${event.type}`);
      }
      // The deadline covers the whole payment step: leaving it, by any transition, cancels it.
      const cancelled = from.startsWith('payment.') && !state.startsWith('payment.') ? [PAYMENT_DEADLINE] : [];
      return expected(emitted, [], cancelled);
    },
  };
}

/** Paths of the order saga: each forward step succeeds, fails transiently (retried, then exhausted) or fails for good; the deadline fires. */
export const orderSagaPathModel: SagaPathModel = {
  machineId: 'orderSaga',
  version: ORDER_SAGA_VERSION,
  input: (streamId): OrderSagaInput => ({ order: { ...template, orderId: streamId }, settings: { paymentTimeoutMs: 30_000, maxAttempts: MAX_ATTEMPTS } }),
  events: {
    PaymentCaptured: [{ type: 'PaymentCaptured', data: { amount: template.total } }],
    PaymentFailed: [{ type: 'PaymentFailed', data: transient }, { type: 'PaymentFailed', data: final('PAYMENT_DECLINED') }],
    [PAYMENT_DEADLINE]: [{ type: PAYMENT_DEADLINE }],
    StockReserved: [{ type: 'StockReserved', data: {} }],
    StockReservationFailed: [{ type: 'StockReservationFailed', data: transient }, { type: 'StockReservationFailed', data: final('OUT_OF_STOCK') }],
    ShipmentCreated: [{ type: 'ShipmentCreated', data: { shipmentId: 'shp-paths' } }],
    ShipmentFailed: [{ type: 'ShipmentFailed', data: transient }, { type: 'ShipmentFailed', data: final('UNDELIVERABLE') }],
    // Compensations are retried whatever the failure, so one (transient) payload covers their transitions.
    StockReleased: [{ type: 'StockReleased', data: {} }],
    StockReleaseFailed: [{ type: 'StockReleaseFailed', data: transient }],
    PaymentRefunded: [{ type: 'PaymentRefunded', data: { amount: template.total } }],
    PaymentRefundFailed: [{ type: 'PaymentRefundFailed', data: transient }],
  },
  serializeState(snapshot: AnyMachineSnapshot) {
    const { attempts, steps, failureReason } = snapshot.context as { attempts: Attempts; steps: StepRecord[]; failureReason: string | null };
    // Compensations retry without limit: counting their attempts past the second would make the graph infinite,
    // and one retry of each already takes its retry transition.
    const counted = { ...attempts, release: Math.min(attempts.release, 2), refund: Math.min(attempts.refund, 2) };
    return JSON.stringify({ state: snapshot.value, attempts: counted, steps, failureReason });
  },
  succeeded: (snapshot) => snapshot.value === 'completed',
  reference: (input) => orderSagaReference(input as OrderSagaInput),
};
