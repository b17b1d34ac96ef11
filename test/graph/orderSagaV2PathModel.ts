import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import { ORDER_SAGA_V2_VERSION } from '../../machines/orderSagaV2.ts';
import type { FraudSettings, OrderSagaV2Context, OrderSagaV2Input, StepActionV2 } from '../../machines/orderSagaV2Types.ts';
import { orderSagaPathModel, settings, template, transient, final, operator, awaitsNoReply } from './orderSagaPathModel.ts';
import { DECISION_DEADLINE, orderSagaV2Reference, PAYMENT_DEADLINE, SCORE_BACKOFF, SCORE_DEADLINE } from './orderSagaReference.ts';
import { dottedState, type SagaPathModel } from './sagaPathModel.ts';

/** The template's total is reviewed: the threshold sits just under it. A capture of less (a partial one) is not. */
const fraud: FraudSettings = { fraudReviewAboveMinor: template.total - 1, fraudReviewDeadlineMs: 86_400_000, fraudScoreTimeoutMs: 20_000 };

const OPERATOR_EVENTS = new Set(['RetryRequested', 'ResumeRequested', 'CancelRequested', 'FraudReviewApproved', 'FraudReviewRejected']);

const statesOf: Readonly<Record<StepActionV2, string>> = {
  capture: 'payment.',
  score: 'fraudReview.scoring.',
  reserve: 'inventory.',
  ship: 'shipping.',
  release: 'compensating.releasingStock.',
  refund: 'compensating.refundingPayment.',
};

const startedOver = (context: OrderSagaV2Context) => (Object.keys(statesOf) as StepActionV2[]).filter((action) => context.retryFrom[action] > 0);

const operatorActed = (context: OrderSagaV2Context) => startedOver(context).length > 0 || context.failureReason === 'CANCELLED' || context.fraud?.decision != null;

const DEADLINES = new Set([PAYMENT_DEADLINE, SCORE_DEADLINE, DECISION_DEADLINE]);
const isTrouble = (event: AnyEventObject) =>
  DEADLINES.has(event.type) || typeof (event.data as { retryable?: unknown } | undefined)?.retryable === 'boolean' || (event.type === 'FraudScored' && event.data.verdict !== 'clean');

/**
 * Paths of order saga v2: v1's (the same events, with a capture below the threshold taking v1's
 * way), and the fraud review after a capture above it: scored clean, doubtful or fraudulent, the
 * scorer failing transiently, for good or staying silent past its deadline, and an operator
 * approving, rejecting or letting the decision deadline pass. One operator act per path, as in v1.
 */
export const orderSagaV2PathModel: SagaPathModel = {
  machineId: 'orderSaga',
  version: ORDER_SAGA_V2_VERSION,
  input: (streamId): OrderSagaV2Input => ({ order: { ...template, orderId: streamId }, settings: { ...settings, ...fraud } }),
  events: {
    ...orderSagaPathModel.events,
    PaymentCaptured: [
      { type: 'PaymentCaptured', data: { amount: template.total } },
      { type: 'PaymentCaptured', data: { amount: fraud.fraudReviewAboveMinor } },
    ],
    FraudScored: [
      { type: 'FraudScored', data: { verdict: 'clean', score: 0.05 } },
      { type: 'FraudScored', data: { verdict: 'doubtful', score: 0.55 } },
      { type: 'FraudScored', data: { verdict: 'fraud', score: 0.97 } },
    ],
    FraudScoringFailed: [{ type: 'FraudScoringFailed', data: transient }, { type: 'FraudScoringFailed', data: final('FRAUD_SCORER_REFUSED') }],
    [SCORE_BACKOFF]: [{ type: SCORE_BACKOFF }],
    [SCORE_DEADLINE]: [{ type: SCORE_DEADLINE }],
    [DECISION_DEADLINE]: [{ type: DECISION_DEADLINE }],
    FraudReviewApproved: [{ type: 'FraudReviewApproved', data: operator }],
    FraudReviewRejected: [{ type: 'FraudReviewRejected', data: operator }],
  },
  serializeState(snapshot: AnyMachineSnapshot) {
    const { order: _order, settings: _settings, ...rest } = snapshot.context as OrderSagaV2Context;
    return JSON.stringify({ state: snapshot.value, ...rest });
  },
  /**
   * v1's bound, with the fraud decisions among the operator's acts. Past the review, the paths that
   * went through it go well: what follows it is v1's chart, which the paths below the threshold try.
   */
  tries(snapshot: AnyMachineSnapshot, event: AnyEventObject) {
    const context = snapshot.context as OrderSagaV2Context;
    const state = dottedState(snapshot.value);
    if (OPERATOR_EVENTS.has(event.type)) return !operatorActed(context);
    if (!event.type.startsWith('xstate.after.') && awaitsNoReply(state)) return false;
    if (isTrouble(event) && context.fraud !== null && !state.startsWith('fraudReview.')) return false;
    if (isTrouble(event) && operatorActed(context)) return startedOver(context).some((action) => state.startsWith(statesOf[action]));
    return true;
  },
  succeeded: (snapshot) => snapshot.value === 'completed',
  reference: (input) => orderSagaV2Reference(input as OrderSagaV2Input, fraud),
};
