import { backoffDelay } from './retryBackoff.ts';
import type { Attention, FailureData, FailureReason, Order, OrderSagaCommand, SagaSettings, StepAction } from './orderTypes.ts';

/**
 * What every version of the order saga does the same way, as plain functions of its context: each
 * version names them in its own `setup()`, so a version's chart changes without touching another's
 * implementations, and a fix here reaches every version that still runs.
 */

/** Attempts per action, and the count at which the backoff last started over. */
export type Counted<A extends string> = Readonly<{ attempts: Readonly<Record<A, number>>; retryFrom: Readonly<Record<A, number>> }>;

type Commanded = Readonly<{ order: Order; attempts: Readonly<Record<StepAction, number>> }>;

export const noAttempts: Readonly<Record<StepAction, number>> = { capture: 0, reserve: 0, ship: 0, release: 0, refund: 0 };

/** Defaults for streams started before a setting existed: their replay must not change. */
export const settingDefaults = { retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 };

/** Retries of `action` since the backoff last started over: 1 after the first failure. */
export const retriesOf = <A extends string>(context: Counted<A>, action: A): number => context.attempts[action] - context.retryFrom[action];

export const countedAttempt = <A extends string>(context: Counted<A>, action: A) => ({
  attempts: { ...context.attempts, [action]: context.attempts[action] + 1 } as Readonly<Record<A, number>>,
});

/** The wait before the next attempt, from the attempts since the backoff last started over. */
export const plannedBackoff = <A extends string>(context: Counted<A> & Readonly<{ order: Order; settings: SagaSettings }>, action: A) => ({
  backoffMs: backoffDelay(context.settings, retriesOf(context, action), `${context.order.orderId}:${action}:${context.attempts[action]}`),
});

/** An operator's retry or resume: the backoff and the count towards parking start over. */
export const restartedBackoff = <A extends string>(context: Counted<A>, action: A) => ({
  retryFrom: { ...context.retryFrom, [action]: context.attempts[action] } as Readonly<Record<A, number>>,
  attention: null,
});

export const parkedAttention = (context: Counted<StepAction>, data: unknown, action: StepAction): { attention: Attention } => ({
  attention: { reason: 'COMPENSATION_PARKED', action, attempts: context.attempts[action], lastError: String((data as Partial<FailureData>).reason) },
});

/** A final refusal carries its own reason; a transient failure that ran out of attempts means the step is unavailable. */
export const failureReasonOf = (data: unknown, whenExhausted: FailureReason): FailureReason => {
  const failure = data as Partial<FailureData>;
  return (failure.retryable !== false ? whenExhausted : failure.reason) as FailureReason;
};

export const canRetry = <A extends string>(context: Counted<A> & Readonly<{ settings: SagaSettings }>, data: unknown, action: A): boolean =>
  (data as Partial<FailureData>).retryable === true && context.attempts[action] < context.settings.maxAttempts;

/** A compensation is never dropped: below the limit it retries, at it the saga parks for a human. */
export const belowParkLimit = <A extends string>(context: Counted<A> & Readonly<{ settings: SagaSettings }>, action: A): boolean =>
  retriesOf(context, action) < context.settings.parkAfterAttempts;

type CommandOf<T extends OrderSagaCommand['type']> = Extract<OrderSagaCommand, { type: T }>;

export const capturePaymentCommand = ({ order, attempts }: Commanded): CommandOf<'CapturePayment'> => ({
  type: 'CapturePayment',
  data: { orderId: order.orderId, amount: order.total, currency: order.currency, paymentToken: order.paymentToken, attempt: attempts.capture },
});

export const refundPaymentCommand = ({ order, attempts }: Commanded): CommandOf<'RefundPayment'> => ({
  type: 'RefundPayment',
  data: { orderId: order.orderId, amount: order.total, currency: order.currency, attempt: attempts.refund },
});

export const reserveStockCommand = ({ order, attempts }: Commanded): CommandOf<'ReserveStock'> => ({
  type: 'ReserveStock',
  data: { orderId: order.orderId, items: order.items, attempt: attempts.reserve },
});

export const releaseStockCommand = ({ order, attempts }: Commanded): CommandOf<'ReleaseStock'> => ({
  type: 'ReleaseStock',
  data: { orderId: order.orderId, items: order.items, attempt: attempts.release },
});

export const createShipmentCommand = ({ order, attempts }: Commanded): CommandOf<'CreateShipment'> => ({
  type: 'CreateShipment',
  data: { orderId: order.orderId, address: order.shippingAddress, items: order.items, attempt: attempts.ship },
});
