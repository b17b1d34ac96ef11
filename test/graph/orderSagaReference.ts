import { backoffDelay } from '../../machines/retryBackoff.ts';
import type { FraudScoredData, FraudSettings, OrderSagaV2Input } from '../../machines/orderSagaV2Types.ts';
import type { Attention, FailureData, OperatorData, OrderSagaCommand, OrderSagaInput, StepAction, StepRecord } from '../../machines/orderTypes.ts';
import type { ExpectedStep, SagaReference } from './sagaPathModel.ts';

export const PAYMENT_DEADLINE = 'xstate.after.paymentTimeout.orderSaga.payment';
/** v2: the scorer's deadline over every attempt, and the operator's deadline on a doubtful order. */
export const SCORE_DEADLINE = 'xstate.after.fraudScoreTimeout.orderSaga.fraudReview.scoring';
export const DECISION_DEADLINE = 'xstate.after.fraudReviewDeadline.orderSaga.fraudReview.awaitingDecision';
export const SCORE_BACKOFF = 'xstate.after.retryBackoff.orderSaga.fraudReview.scoring.backingOff';

const SCORING = 'fraudReview.scoring.requesting';
const SCORE_BACKING_OFF = 'fraudReview.scoring.backingOff';
const AWAITING_DECISION = 'fraudReview.awaitingDecision';

/** The backoff timer of the `backingOff` state of each step: `xstate.after.retryBackoff.orderSaga.<state path>.backingOff`. */
export const BACKOFF: Readonly<Record<StepAction, string>> = {
  capture: 'xstate.after.retryBackoff.orderSaga.payment.backingOff',
  reserve: 'xstate.after.retryBackoff.orderSaga.inventory.backingOff',
  ship: 'xstate.after.retryBackoff.orderSaga.shipping.backingOff',
  release: 'xstate.after.retryBackoff.orderSaga.compensating.releasingStock.backingOff',
  refund: 'xstate.after.retryBackoff.orderSaga.compensating.refundingPayment.backingOff',
};

/** A step of the saga as the reference sees it: where it sends its command, where it waits, what answers it. */
type StepStates = Readonly<{ action: StepAction; record: StepRecord; sending: string; backingOff: string; done: string; failed: string }>;

/** A forward step: a transient failure is retried while attempts remain; then, or on a final refusal, the saga undoes what it did. */
type ForwardStep = StepStates & Readonly<{ next: string; exhausted: string; onFailure: string; cancellableIn: readonly string[]; onCancel: string }>;

/** A compensation: retried after any failure until it fails `parkAfterAttempts` times in a row, then parked for an operator. */
type Compensation = StepStates & Readonly<{ next: string; parked: string }>;

const RELEASING = 'compensating.releasingStock.releasing';
const REFUNDING = 'compensating.refundingPayment.refunding';

const payment: ForwardStep = {
  action: 'capture',
  record: { step: 'payment', action: 'capture' },
  sending: 'payment.capturing',
  backingOff: 'payment.backingOff',
  done: 'PaymentCaptured',
  failed: 'PaymentFailed',
  next: 'inventory.reserving',
  exhausted: 'PAYMENT_UNAVAILABLE',
  // Nothing was captured: nothing to undo.
  onFailure: 'failed',
  // The refund voids a capture that may still be in flight.
  cancellableIn: ['payment.capturing', 'payment.backingOff'],
  onCancel: REFUNDING,
};
const inventory: ForwardStep = {
  action: 'reserve',
  record: { step: 'inventory', action: 'reserve' },
  sending: 'inventory.reserving',
  backingOff: 'inventory.backingOff',
  done: 'StockReserved',
  failed: 'StockReservationFailed',
  next: 'shipping.creating',
  exhausted: 'INVENTORY_UNAVAILABLE',
  onFailure: REFUNDING,
  // The release voids a reservation that may still be in flight.
  cancellableIn: ['inventory.reserving', 'inventory.backingOff'],
  onCancel: RELEASING,
};
const shipping: ForwardStep = {
  action: 'ship',
  record: { step: 'shipping', action: 'ship' },
  sending: 'shipping.creating',
  backingOff: 'shipping.backingOff',
  done: 'ShipmentCreated',
  failed: 'ShipmentFailed',
  next: 'completed',
  exhausted: 'SHIPPING_UNAVAILABLE',
  onFailure: RELEASING,
  // A shipment cannot be voided: only between attempts, when every one so far failed, is nothing shipped.
  cancellableIn: ['shipping.backingOff'],
  onCancel: RELEASING,
};
const release: Compensation = {
  action: 'release',
  record: { step: 'inventory', action: 'release' },
  sending: RELEASING,
  backingOff: 'compensating.releasingStock.backingOff',
  parked: 'compensating.releasingStock.parked',
  done: 'StockReleased',
  failed: 'StockReleaseFailed',
  next: REFUNDING,
};
const refund: Compensation = {
  action: 'refund',
  record: { step: 'payment', action: 'refund' },
  sending: REFUNDING,
  backingOff: 'compensating.refundingPayment.backingOff',
  parked: 'compensating.refundingPayment.parked',
  done: 'PaymentRefunded',
  failed: 'PaymentRefundFailed',
  next: 'failed',
};
const allSteps: readonly StepStates[] = [payment, inventory, shipping, release, refund];

/**
 * The order saga restated step by step, written from its description rather than from the
 * statechart, so that the generated paths are checked against something the machine did not
 * produce itself:
 * - payment → inventory → shipping; each forward step sends its command on entering its sending
 *   state. A transient failure waits in `backingOff` (a timer with jittered exponential backoff)
 *   while attempts remain; when the timer fires, or an operator asks for a retry, it is sent again.
 *   A final refusal, or a transient failure with no attempt left, fails the step.
 * - a failed step undoes the completed ones in reverse order: release the stock, then refund.
 *   A compensation is retried after any failure, with backoff, and parks for an operator after
 *   `parkAfterAttempts` failures in a row; the operator resumes it. A retry or a resume starts the
 *   count (and the backoff) over.
 * - the payment deadline covers the whole payment step; a cancel is taken during payment, during
 *   inventory, and between shipping attempts.
 * - a timer is armed on entering the state that owns it and cancelled on leaving it, by any transition.
 */
export function orderSagaReference(input: OrderSagaInput): SagaReference {
  return orderSagaReferenceOf(input, undefined);
}

/**
 * Order saga v2: v1, with a fraud review once a payment above `fraudReviewAboveMinor` is captured.
 * The review scores the order (a transient failure retried with backoff while attempts remain; the
 * scorer's deadline covers every attempt); a clean score reserves the stock, a fraudulent one
 * refunds; a doubtful score, a score that could not be had, or the scorer's silence waits for an
 * operator, who approves (stock) or rejects (refund) before the decision deadline, which rejects.
 * A cancel during the review refunds.
 */
export function orderSagaV2Reference(input: OrderSagaV2Input, fraud: FraudSettings): SagaReference {
  return orderSagaReferenceOf(input, fraud);
}

type Review = { verdict: string | null; score: number | null; decision: string | null; operator: string | null };

function orderSagaReferenceOf(input: OrderSagaInput, fraudSettings: FraudSettings | undefined): SagaReference {
  const { order } = input;
  const settings = { ...input.settings, ...fraudSettings };
  const attempts: Record<StepAction, number> & Record<string, number> = { capture: 0, reserve: 0, ship: 0, release: 0, refund: 0, ...(fraudSettings ? { score: 0 } : {}) };
  const retryFrom: Record<StepAction, number> & Record<string, number> = { ...attempts };
  const steps: StepRecord[] = [];
  let failureReason: string | null = null;
  let attention: Attention | { reason: 'FRAUD_REVIEW'; action: 'score'; attempts: number; lastError: string } | null = null;
  let review: Review | null = null;
  let backoffMs = 0;
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
  /** Failures of `action` since its backoff last started over. */
  const retries = (action: string) => attempts[action]! - retryFrom[action]!;

  /** Entering a state: a sending state counts an attempt and sends; a `backingOff` state arms its timer. */
  const enter = (next: string): Pick<ExpectedStep, 'emitted' | 'armed'> => {
    const from = state;
    state = next;
    if (next === SCORING) {
      attempts.score!++;
      const command = {
        type: 'ScoreFraud',
        data: { orderId: order.orderId, customerId: order.customerId, amount: order.total, currency: order.currency, paymentToken: order.paymentToken, attempt: attempts.score },
      };
      return { emitted: [command], armed: from.startsWith('fraudReview.scoring.') ? [] : [{ id: SCORE_DEADLINE, delay: settings.fraudScoreTimeoutMs! }] };
    }
    if (next === SCORE_BACKING_OFF) {
      backoffMs = backoffDelay(settings, retries('score'), `${order.orderId}:score:${attempts.score}`);
      return { emitted: [], armed: [{ id: SCORE_BACKOFF, delay: backoffMs }] };
    }
    if (next === AWAITING_DECISION) {
      attention = { reason: 'FRAUD_REVIEW', action: 'score', attempts: attempts.score!, lastError: review?.verdict ? `scored ${review.verdict} (${review.score})` : 'no score' };
      return { emitted: [], armed: [{ id: DECISION_DEADLINE, delay: settings.fraudReviewDeadlineMs! }] };
    }
    const sending = allSteps.find((s) => s.sending === next);
    if (sending) {
      attempts[sending.action]++;
      return { emitted: [commandOf[sending.action]()], armed: [] };
    }
    const waiting = allSteps.find((s) => s.backingOff === next);
    if (waiting) {
      const { action } = waiting;
      // Full jitter under base × 2^(retry − 1), drawn from what names the attempt: a replay waits the same.
      backoffMs = backoffDelay(settings, retries(action), `${order.orderId}:${action}:${attempts[action]}`);
      return { emitted: [], armed: [{ id: BACKOFF[action], delay: backoffMs }] };
    }
    return { emitted: [], armed: [] };
  };

  /** The timers of the states left: the backoff of a `backingOff` state, and the deadline of the payment step. */
  const cancelledLeaving = (from: string, to: string): string[] => {
    const cancelled: string[] = [];
    const waiting = allSteps.find((s) => s.backingOff === from);
    if (waiting && to !== from) cancelled.push(BACKOFF[waiting.action]);
    if (from.startsWith('payment.') && !to.startsWith('payment.')) cancelled.push(PAYMENT_DEADLINE);
    if (from === SCORE_BACKING_OFF && to !== from) cancelled.push(SCORE_BACKOFF);
    if (from.startsWith('fraudReview.scoring.') && !to.startsWith('fraudReview.scoring.')) cancelled.push(SCORE_DEADLINE);
    if (from === AWAITING_DECISION) cancelled.push(DECISION_DEADLINE);
    return cancelled;
  };

  const startOver = (action: string) => {
    retryFrom[action] = attempts[action]!;
    attention = null;
  };

  /** Where `event` takes the saga from the current state, with what it changes on the way; it throws where the saga must ignore it. */
  const target = (event: { type: string; data?: unknown }): string => {
    const failure = event.data as FailureData;
    const rejectFraud = () => {
      failureReason = 'FRAUD_REJECTED';
      return REFUNDING;
    };
    const noScore = () => {
      review = { verdict: null, score: null, decision: null, operator: null };
      return AWAITING_DECISION;
    };
    if (fraudSettings && state === payment.sending && event.type === payment.done && (event.data as { amount: number }).amount > fraudSettings.fraudReviewAboveMinor) {
      steps.push(payment.record);
      return SCORING;
    }
    if (state.startsWith('fraudReview.')) {
      if (event.type === 'CancelRequested') {
        failureReason = 'CANCELLED';
        return REFUNDING;
      }
      if (state === SCORE_BACKING_OFF && event.type === SCORE_BACKOFF) return SCORING;
      if (state === SCORE_BACKING_OFF && event.type === 'RetryRequested') {
        startOver('score');
        return SCORING;
      }
      if (state.startsWith('fraudReview.scoring.') && event.type === SCORE_DEADLINE) return noScore();
      if (state === SCORING && event.type === 'FraudScored') {
        const { verdict, score } = event.data as FraudScoredData;
        review = { verdict, score, decision: null, operator: null };
        if (verdict === 'clean') return inventory.sending;
        return verdict === 'fraud' ? rejectFraud() : AWAITING_DECISION;
      }
      if (state === SCORING && event.type === 'FraudScoringFailed') {
        return failure.retryable && attempts.score! < settings.maxAttempts ? SCORE_BACKING_OFF : noScore();
      }
      if (state === AWAITING_DECISION && (event.type === 'FraudReviewApproved' || event.type === 'FraudReviewRejected')) {
        const approved = event.type === 'FraudReviewApproved';
        review = { ...review!, decision: approved ? 'approved' : 'rejected', operator: (event.data as OperatorData).operator };
        return approved ? inventory.sending : rejectFraud();
      }
      if (state === AWAITING_DECISION && event.type === DECISION_DEADLINE) return rejectFraud();
    }
    for (const step of [payment, inventory, shipping]) {
      if (state !== step.sending && state !== step.backingOff) continue;
      if (state === step.backingOff && event.type === BACKOFF[step.action]) return step.sending;
      if (state === step.backingOff && event.type === 'RetryRequested') {
        startOver(step.action);
        return step.sending;
      }
      if (step.cancellableIn.includes(state) && event.type === 'CancelRequested') {
        failureReason = 'CANCELLED';
        return step.onCancel;
      }
      if (step === payment && event.type === PAYMENT_DEADLINE) {
        failureReason = 'PAYMENT_TIMEOUT';
        return REFUNDING;
      }
      if (state === step.sending && event.type === step.done) {
        steps.push(step.record);
        return step.next;
      }
      if (state === step.sending && event.type === step.failed) {
        if (failure.retryable && attempts[step.action] < settings.maxAttempts) return step.backingOff;
        failureReason = failure.retryable ? step.exhausted : failure.reason;
        return step.onFailure;
      }
    }
    for (const step of [release, refund]) {
      if (state === step.backingOff && event.type === BACKOFF[step.action]) return step.sending;
      if ((state === step.backingOff && event.type === 'RetryRequested') || (state === step.parked && event.type === 'ResumeRequested')) {
        startOver(step.action);
        return step.sending;
      }
      if (state === step.sending && event.type === step.done) {
        steps.push(step.record);
        return step.next;
      }
      if (state === step.sending && event.type === step.failed) {
        if (retries(step.action) < settings.parkAfterAttempts) return step.backingOff;
        attention = { reason: 'COMPENSATION_PARKED', action: step.action, attempts: attempts[step.action], lastError: failure.reason };
        return step.parked;
      }
    }
    throw new Error(`the reference has the order saga in ${state} ignore ${event.type}`);
  };

  const expected = ({ emitted, armed }: Pick<ExpectedStep, 'emitted' | 'armed'>, cancelled: string[]): ExpectedStep => ({
    state,
    status: state === 'completed' || state === 'failed' ? 'done' : 'active',
    emitted,
    armed,
    cancelled,
    context: { attempts: { ...attempts }, retryFrom: { ...retryFrom }, backoffMs, steps: [...steps], failureReason, attention, ...(fraudSettings ? { fraud: review } : {}) },
  });

  return {
    start: () => {
      const entered = enter(payment.sending);
      return expected({ ...entered, armed: [{ id: PAYMENT_DEADLINE, delay: settings.paymentTimeoutMs }] }, []);
    },
    step(event) {
      const from = state;
      const to = target(event);
      // Leaving the review ends the wait for a human.
      if (from === AWAITING_DECISION) attention = null;
      const cancelled = cancelledLeaving(from, to);
      return expected(enter(to), cancelled);
    },
  };
}
