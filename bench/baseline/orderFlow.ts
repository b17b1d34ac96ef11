import { backoffDelay } from '../../machines/retryBackoff.ts';
import type { Attempts, Order, SagaSettings, StepAction, StepRecord } from '../../machines/orderTypes.ts';
import type { OrderView } from '../../orders/orderView.ts';

/**
 * The order saga written by hand, as a team without a saga runtime would: a record per order
 * and a function from (record, message) to the next record and its effects. It takes the paths
 * of the benchmark's order mix the way xsaga's statechart does (payment deadline, retries with
 * the same backoff, compensation in reverse), so that it writes the same rows for each.
 */
export type OrderRecord = Readonly<{
  order: Order;
  settings: SagaSettings;
  state: string;
  version: number;
  attempts: Attempts;
  steps: readonly StepRecord[];
  failureReason: string | null;
}>;

/** A command to a participant, before it gets its id from the stream position. */
export type Command = Readonly<{ type: string; data: Record<string, unknown> }>;

/** What one message did to an order: the record after it, and the effects to commit with it. */
export type Step = Readonly<{
  record: OrderRecord;
  commands: readonly Command[];
  /** Timers armed, by id, with their delay from the message's time. */
  armed: readonly Readonly<{ id: string; delayMs: number; event: { type: string } }>[];
  cancelled: readonly string[];
}>;

/** Timer ids: one deadline per saga, and one backoff wait per state that retries. */
export const PAYMENT_DEADLINE = 'payment-deadline';
const backoffTimer = (action: StepAction) => `backoff-${action}`;

const TERMINAL = new Set(['completed', 'failed']);
export const isTerminal = (record: OrderRecord): boolean => TERMINAL.has(record.state);

const noAttempts: Attempts = { capture: 0, reserve: 0, ship: 0, release: 0, refund: 0 };

/** The commands, by the action that sends them. */
function commandOf(record: OrderRecord, action: StepAction): Command {
  const { order, attempts } = record;
  const attempt = attempts[action];
  switch (action) {
    case 'capture':
      return { type: 'CapturePayment', data: { orderId: order.orderId, amount: order.total, currency: order.currency, paymentToken: order.paymentToken, attempt } };
    case 'reserve':
      return { type: 'ReserveStock', data: { orderId: order.orderId, items: order.items, attempt } };
    case 'ship':
      return { type: 'CreateShipment', data: { orderId: order.orderId, address: order.shippingAddress, items: order.items, attempt } };
    case 'release':
      return { type: 'ReleaseStock', data: { orderId: order.orderId, items: order.items, attempt } };
    case 'refund':
      return { type: 'RefundPayment', data: { orderId: order.orderId, amount: order.total, currency: order.currency, attempt } };
  }
}

/** The state that sends each action, and the step it belongs to. */
const SENDING_STATE: Readonly<Record<StepAction, string>> = {
  capture: 'payment.capturing',
  reserve: 'inventory.reserving',
  ship: 'shipping.creating',
  release: 'compensating.releasingStock.releasing',
  refund: 'compensating.refundingPayment.refunding',
};

type Effects = { commands: Command[]; armed: { id: string; delayMs: number; event: { type: string } }[]; cancelled: string[] };

/** Enters the state that sends `action`: counts the attempt and sends the command. */
function send(record: OrderRecord, action: StepAction, effects: Effects): OrderRecord {
  const next = { ...record, state: SENDING_STATE[action], attempts: { ...record.attempts, [action]: record.attempts[action] + 1 } };
  effects.commands.push(commandOf(next, action));
  return next;
}

/** Leaves the payment step: its deadline no longer applies. */
function leavePayment(record: OrderRecord, effects: Effects): void {
  if (record.state.startsWith('payment.')) effects.cancelled.push(PAYMENT_DEADLINE);
}

/** The first record of an order, and the effects of placing it. */
export function placeOrder(order: Order, settings: SagaSettings): Step {
  const effects: Effects = { commands: [], armed: [], cancelled: [] };
  const start: OrderRecord = { order, settings, state: 'payment', version: 1, attempts: noAttempts, steps: [], failureReason: null };
  const record = send(start, 'capture', effects);
  effects.armed.push({ id: PAYMENT_DEADLINE, delayMs: settings.paymentTimeoutMs, event: { type: 'xstate.after.paymentTimeout' } });
  return { record, ...effects };
}

type Failure = { reason?: string; retryable?: boolean };

/**
 * The next record after a reply or a fired timer (`type` is the event's type), or undefined when
 * the order's state does not take it (a late reply): such a message is applied but moves nothing.
 */
export function advance(record: OrderRecord, type: string, data: unknown): Step | undefined {
  const effects: Effects = { commands: [], armed: [], cancelled: [] };
  const failure = (data ?? {}) as Failure;
  const moved = (next: OrderRecord): Step => ({ record: { ...next, version: record.version + 1 }, ...effects });
  const fail = (reason: string, then: 'refund' | 'release' | 'failed'): Step => {
    const failed = { ...record, failureReason: reason };
    if (then === 'failed') return moved({ ...failed, state: 'failed' });
    return moved(send(failed, then, effects));
  };
  const retryOrFail = (action: StepAction, whenExhausted: string, then: 'refund' | 'release' | 'failed'): Step => {
    if (failure.retryable === true && record.attempts[action] < record.settings.maxAttempts) {
      const retry = record.attempts[action];
      const delayMs = backoffDelay(record.settings, retry, `${record.order.orderId}:${action}:${record.attempts[action]}`);
      effects.armed.push({ id: backoffTimer(action), delayMs, event: { type: `xstate.after.retryBackoff.${action}` } });
      return moved({ ...record, state: SENDING_STATE[action].replace(/\.[a-z]+$/, '.backingOff') });
    }
    if (action === 'capture') leavePayment(record, effects);
    return fail(failure.retryable !== false ? whenExhausted : (failure.reason ?? whenExhausted), then);
  };
  const record_ = (step: StepRecord['step'], action: StepRecord['action']) => ({ ...record, steps: [...record.steps, { step, action }] });

  switch (`${record.state} ${type}`) {
    case 'payment.capturing PaymentCaptured':
    case 'payment.backingOff PaymentCaptured':
      leavePayment(record, effects);
      return moved(send(record_('payment', 'capture'), 'reserve', effects));
    case 'payment.capturing PaymentFailed':
      return retryOrFail('capture', 'PAYMENT_UNAVAILABLE', 'failed');
    case 'payment.backingOff TimerFired':
      return moved(send(record, 'capture', effects));
    case 'inventory.reserving StockReserved':
      return moved(send(record_('inventory', 'reserve'), 'ship', effects));
    case 'inventory.reserving StockReservationFailed':
      return retryOrFail('reserve', 'INVENTORY_UNAVAILABLE', 'refund');
    case 'inventory.backingOff TimerFired':
      return moved(send(record, 'reserve', effects));
    case 'shipping.creating ShipmentCreated':
      return moved({ ...record_('shipping', 'ship'), state: 'completed' });
    case 'shipping.creating ShipmentFailed':
      return retryOrFail('ship', 'SHIPPING_UNAVAILABLE', 'release');
    case 'shipping.backingOff TimerFired':
      return moved(send(record, 'ship', effects));
    case 'compensating.releasingStock.releasing StockReleased':
      return moved(send(record_('inventory', 'release'), 'refund', effects));
    case 'compensating.refundingPayment.refunding PaymentRefunded':
      return moved({ ...record_('payment', 'refund'), state: 'failed' });
    default:
      if (type === 'TimerFired' && (data as { timerId?: string }).timerId === PAYMENT_DEADLINE && record.state.startsWith('payment.')) {
        effects.cancelled.push(backoffTimer('capture'));
        return fail('PAYMENT_TIMEOUT', 'refund');
      }
      return undefined;
  }
}

/** The read model's document for an order, in the shape of xsaga's view. */
export function viewOf(record: OrderRecord, updatedAt: string): OrderView {
  const { order } = record;
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: record.state === 'completed' ? 'COMPLETED' : record.state === 'failed' ? 'FAILED' : 'PENDING',
    state: record.state,
    failureReason: record.failureReason,
    total: order.total,
    currency: order.currency,
    items: order.items,
    steps: record.steps,
    attempts: record.attempts,
    attention: null,
    version: record.version,
    // The flow restates v1's chart, the one without the fraud review.
    machineVersion: 1,
    placedAt: order.placedAt,
    updatedAt,
  };
}
