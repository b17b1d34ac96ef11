import { assign, emit, setup } from 'xstate';
import { orderSaga } from './orderSaga.ts';
import {
  belowParkLimit,
  canRetry,
  capturePaymentCommand,
  countedAttempt,
  createShipmentCommand,
  failureReasonOf,
  noAttempts,
  parkedAttention,
  plannedBackoff,
  refundPaymentCommand,
  releaseStockCommand,
  reserveStockCommand,
  restartedBackoff,
  settingDefaults,
} from './orderSteps.ts';
import type { FailureReason, OperatorData, StepAction, StepRecord } from './orderTypes.ts';
import type {
  FraudScoredData,
  FraudSettings,
  FraudVerdict,
  OrderSagaV2Command,
  OrderSagaV2Context,
  OrderSagaV2Event,
  OrderSagaV2Input,
  StepActionV2,
} from './orderSagaV2Types.ts';

/** The fraud review's version of the order saga; v1 stays registered for the streams that started on it. */
export const ORDER_SAGA_V2_VERSION = 2;

/** Defaults of the fraud settings, for an input that lacks them. */
export const fraudSettingDefaults: FraudSettings = { fraudReviewAboveMinor: 100_000, fraudReviewDeadlineMs: 24 * 3600 * 1000, fraudScoreTimeoutMs: 30_000 };


const fraudReviewSetup = setup({
  types: {
    context: {} as OrderSagaV2Context,
    events: {} as OrderSagaV2Event,
    input: {} as OrderSagaV2Input,
    emitted: {} as OrderSagaV2Command,
  },
  actions: {
    countAttempt: assign(({ context }, params: { action: StepActionV2 }) => countedAttempt(context, params.action)),
    planBackoff: assign(({ context }, params: { action: StepActionV2 }) => plannedBackoff(context, params.action)),
    /** Leaving a parked state or the review, by an operator or a late success, ends the wait for a human. */
    clearAttention: assign({ attention: null }),
    startBackoffOver: assign(({ context }, params: { action: StepActionV2 }) => restartedBackoff(context, params.action)),
    park: assign(({ context, event }, params: { action: StepAction }) => parkedAttention(context, event.data, params.action)),
    recordStep: assign(({ context }, params: StepRecord) => ({ steps: [...context.steps, params] })),
    failWith: assign((_, params: { reason: FailureReason }) => ({ failureReason: params.reason })),
    failFromReply: assign(({ event }, params: { whenExhausted: FailureReason }) => ({ failureReason: failureReasonOf(event.data, params.whenExhausted) })),
    capturePayment: emit(({ context }) => capturePaymentCommand(context)),
    refundPayment: emit(({ context }) => refundPaymentCommand(context)),
    reserveStock: emit(({ context }) => reserveStockCommand(context)),
    releaseStock: emit(({ context }) => releaseStockCommand(context)),
    createShipment: emit(({ context }) => createShipmentCommand(context)),
    scoreFraud: emit(({ context }) => ({
      type: 'ScoreFraud' as const,
      data: {
        orderId: context.order.orderId,
        customerId: context.order.customerId,
        amount: context.order.total,
        currency: context.order.currency,
        paymentToken: context.order.paymentToken,
        attempt: context.attempts.score,
      },
    })),
    recordScore: assign(({ event }) => {
      const { verdict, score } = event.data as FraudScoredData;
      return { fraud: { verdict, score, decision: null, operator: null } };
    }),
    /** The scorer could not say: the review goes to a human with no score. */
    recordNoScore: assign({ fraud: { verdict: null, score: null, decision: null, operator: null } }),
    recordDecision: assign(({ context, event }, params: { decision: 'approved' | 'rejected' }) => ({
      fraud: { verdict: context.fraud?.verdict ?? null, score: context.fraud?.score ?? null, decision: params.decision, operator: (event.data as OperatorData).operator },
    })),
    askForReview: assign(({ context }) => ({
      attention: {
        reason: 'FRAUD_REVIEW' as const,
        action: 'score' as const,
        attempts: context.attempts.score,
        lastError: context.fraud?.verdict ? `scored ${context.fraud.verdict} (${context.fraud.score})` : 'no score',
      },
    })),
  },
  guards: {
    canRetry: ({ context, event }, params: { action: StepActionV2 }) => canRetry(context, event.data, params.action),
    belowParkLimit: ({ context }, params: { action: StepAction }) => belowParkLimit(context, params.action),
    /** The captured amount is what a fraud would cost: above the threshold, the order is reviewed. */
    needsFraudReview: ({ context, event }) => ((event.data as Partial<{ amount: number }>).amount ?? context.order.total) > context.settings.fraudReviewAboveMinor,
    verdictIs: ({ event }, params: { verdict: FraudVerdict }) => (event.data as Partial<FraudScoredData>).verdict === params.verdict,
  },
  delays: {
    paymentTimeout: ({ context }) => context.settings.paymentTimeoutMs,
    retryBackoff: ({ context }) => context.backoffMs,
    fraudScoreTimeout: ({ context }) => context.settings.fraudScoreTimeoutMs,
    fraudReviewDeadline: ({ context }) => context.settings.fraudReviewDeadlineMs,
  },
});

type StatesV2 = NonNullable<Parameters<typeof fraudReviewSetup.createMachine>[0]['states']>;

/**
 * v1's states as they are. They are data, names only (their export as JSON proves it), so the
 * cast only says what TypeScript cannot see through two contexts: that v2's `setup()` provides
 * every name they use, which the export check of every hosted machine verifies.
 */
const v1 = orderSaga.config.states as unknown as StatesV2;

/**
 * The order saga with a fraud review: an order whose captured amount (its total) is above
 * `fraudReviewAboveMinor` is scored once its payment is captured, before any stock is reserved. A clean score goes on; a fraudulent one, or a
 * doubtful one an operator rejects or leaves past its deadline, refunds the capture and fails
 * `FRAUD_REJECTED`. The review sits after the capture so that what a rejection undoes is a real
 * capture, and before the stock so that nothing else needs undoing. Orders at or below the
 * threshold take v1's path, event for event: every other state is v1's own.
 */
export const orderSagaV2 = fraudReviewSetup.createMachine({
  id: 'orderSaga',
  context: ({ input }) => ({
    order: input.order,
    settings: { ...settingDefaults, ...fraudSettingDefaults, ...input.settings },
    attempts: { ...noAttempts, score: 0 },
    retryFrom: { ...noAttempts, score: 0 },
    backoffMs: 0,
    steps: [],
    failureReason: null,
    attention: null,
    fraud: null,
  }),
  initial: 'payment',
  states: {
    payment: {
      ...v1.payment,
      on: {
        ...v1.payment!.on,
        PaymentCaptured: [
          { guard: 'needsFraudReview', target: 'fraudReview', actions: { type: 'recordStep', params: { step: 'payment', action: 'capture' } } },
          { target: 'inventory', actions: { type: 'recordStep', params: { step: 'payment', action: 'capture' } } },
        ],
      },
    },
    fraudReview: {
      description: 'An order above the threshold: score it, and ask an operator when the score is doubtful. The payment is captured; a rejection refunds it.',
      initial: 'scoring',
      states: {
        scoring: {
          description: 'The deadline covers every attempt: a scorer that stays silent hands the order to a human.',
          initial: 'requesting',
          after: { fraudScoreTimeout: { target: 'awaitingDecision', actions: 'recordNoScore' } },
          states: {
            requesting: {
              entry: [{ type: 'countAttempt', params: { action: 'score' } }, 'scoreFraud'],
              on: { FraudScoringFailed: { guard: { type: 'canRetry', params: { action: 'score' } }, target: 'backingOff' } },
            },
            backingOff: {
              entry: { type: 'planBackoff', params: { action: 'score' } },
              after: { retryBackoff: 'requesting' },
              on: { RetryRequested: { target: 'requesting', actions: { type: 'startBackoffOver', params: { action: 'score' } } } },
            },
          },
          on: {
            FraudScored: [
              { guard: { type: 'verdictIs', params: { verdict: 'clean' } }, target: '#orderSaga.inventory', actions: 'recordScore' },
              {
                guard: { type: 'verdictIs', params: { verdict: 'fraud' } },
                target: '#orderSaga.compensating.refundingPayment',
                actions: ['recordScore', { type: 'failWith', params: { reason: 'FRAUD_REJECTED' } }],
              },
              { target: 'awaitingDecision', actions: 'recordScore' },
            ],
            // Out of attempts, or refused for good: a human decides without a score.
            FraudScoringFailed: { target: 'awaitingDecision', actions: 'recordNoScore' },
          },
        },
        awaitingDecision: {
          description: 'A doubtful or missing score: an operator approves or rejects; no decision by the deadline rejects.',
          entry: 'askForReview',
          exit: 'clearAttention',
          after: { fraudReviewDeadline: { target: '#orderSaga.compensating.refundingPayment', actions: { type: 'failWith', params: { reason: 'FRAUD_REJECTED' } } } },
          on: {
            FraudReviewApproved: { target: '#orderSaga.inventory', actions: { type: 'recordDecision', params: { decision: 'approved' } } },
            FraudReviewRejected: {
              target: '#orderSaga.compensating.refundingPayment',
              actions: [
                { type: 'recordDecision', params: { decision: 'rejected' } },
                { type: 'failWith', params: { reason: 'FRAUD_REJECTED' } },
              ],
            },
          },
        },
      },
      on: {
        CancelRequested: { target: '#orderSaga.compensating.refundingPayment', actions: { type: 'failWith', params: { reason: 'CANCELLED' } } },
      },
    },
    inventory: v1.inventory!,
    shipping: v1.shipping!,
    compensating: v1.compensating!,
    completed: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type OrderSagaV2Machine = typeof orderSagaV2;
