import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import { ORDER_SAGA_VERSION } from '../../machines/orderSaga.ts';
import type { FailureData, Order, OperatorData, OrderSagaContext, OrderSagaInput, SagaSettings, StepAction } from '../../machines/orderTypes.ts';
import { BACKOFF, orderSagaReference, PAYMENT_DEADLINE } from './orderSagaReference.ts';
import { dottedState, type SagaPathModel } from './sagaPathModel.ts';

/** Two attempts: every forward step's guard is tried below the limit (a retry) and at it (exhausted). */
const MAX_ATTEMPTS = 2;

/** Two failures of a compensation in a row park it: its guard is tried below the limit (a backoff) and at it (parked). */
export const settings: SagaSettings = { paymentTimeoutMs: 30_000, maxAttempts: MAX_ATTEMPTS, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 2 };

export const template: Omit<Order, 'orderId'> = {
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

export const transient: FailureData = { reason: 'PROVIDER_UNAVAILABLE', retryable: true };
export const final = (reason: string): FailureData => ({ reason, retryable: false });
export const operator: OperatorData = { operator: 'ops-paths', reason: 'generated path' };

const OPERATOR_EVENTS = new Set(['RetryRequested', 'ResumeRequested', 'CancelRequested']);

/** Where each step's states are, as the prefix of their dotted names. */
const statesOf: Readonly<Record<StepAction, string>> = {
  capture: 'payment.',
  reserve: 'inventory.',
  ship: 'shipping.',
  release: 'compensating.releasingStock.',
  refund: 'compensating.refundingPayment.',
};

/** The steps an operator retried or resumed: each started its backoff over, from the attempts it had made. */
const startedOver = (context: OrderSagaContext) => (Object.keys(statesOf) as StepAction[]).filter((action) => context.retryFrom[action] > 0);

const operatorActed = (context: OrderSagaContext) => startedOver(context).length > 0 || context.failureReason === 'CANCELLED';

/** A failure reply, or the deadline: what makes a saga back off, compensate or park. */
const isTrouble = (event: AnyEventObject) => event.type === PAYMENT_DEADLINE || typeof (event.data as Partial<FailureData> | undefined)?.retryable === 'boolean';

/** A state with no command out: a reply there could only repeat the last one, a duplicate the runtime drops. */
export const awaitsNoReply = (state: string) => state.endsWith('.backingOff') || state.endsWith('.parked');

/**
 * Paths of the order saga: each forward step succeeds, fails transiently (backs off, then is
 * retried by its timer or an operator, then exhausted) or fails for good; the deadline fires; each
 * compensation succeeds, or fails, backs off and parks; an operator retries, resumes or cancels.
 */
export const orderSagaPathModel: SagaPathModel = {
  machineId: 'orderSaga',
  version: ORDER_SAGA_VERSION,
  input: (streamId): OrderSagaInput => ({ order: { ...template, orderId: streamId }, settings }),
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
    ...Object.fromEntries(Object.values(BACKOFF).map((timer) => [timer, [{ type: timer }]])),
    RetryRequested: [{ type: 'RetryRequested', data: operator }],
    ResumeRequested: [{ type: 'ResumeRequested', data: operator }],
    CancelRequested: [{ type: 'CancelRequested', data: operator }],
  },
  /**
   * The state and the whole context but the order and the settings, which never change: two
   * snapshots with one key go on alike. Finitely many, as the model tries events: a forward step
   * stops at maxAttempts, a compensation parks after parkAfterAttempts failures in a row, and only an
   * operator, who acts once per path, starts the count over.
   */
  serializeState(snapshot: AnyMachineSnapshot) {
    const { order: _order, settings: _settings, ...rest } = snapshot.context as OrderSagaContext;
    return JSON.stringify({ state: snapshot.value, ...rest });
  },
  /**
   * Every timer; replies where a command waits for one; an operator's retry, resume or cancel
   * wherever the saga takes it, once per path (a second action would let a compensation loop for
   * ever). Once the operator acted, trouble (a failure, the deadline) comes only in the step they
   * retried or resumed, which shows what their action started over (a compensation's count towards
   * parking, not a forward step's attempts); elsewhere the saga goes well, as every trouble there is
   * tried on the paths without an operator. So each operator transition is taken from every state
   * that has it, and the paths stay a few hundred.
   */
  tries(snapshot: AnyMachineSnapshot, event: AnyEventObject) {
    const context = snapshot.context as OrderSagaContext;
    const state = dottedState(snapshot.value);
    if (OPERATOR_EVENTS.has(event.type)) return !operatorActed(context);
    if (!event.type.startsWith('xstate.after.') && awaitsNoReply(state)) return false;
    if (isTrouble(event) && operatorActed(context)) return startedOver(context).some((action) => state.startsWith(statesOf[action]));
    return true;
  },
  succeeded: (snapshot) => snapshot.value === 'completed',
  reference: (input) => orderSagaReference(input as OrderSagaInput),
};
