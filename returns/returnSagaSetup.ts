import { and, assign, emit, setup, stateIn } from 'xstate';
import { REFUND_TO_UNDO, REFUNDED, RESTOCK_TO_UNDO, RESTOCKED } from './returnReversals.ts';
import type {
  FailureData,
  OperatorData,
  RejectionReason,
  ReturnAction,
  ReturnFailureReason,
  ReturnSagaCommand,
  ReturnSagaContext,
  ReturnSagaEvent,
  ReturnSagaInput,
} from './returnTypes.ts';
import { backoffDelay } from 'xsaga';

/** Retries of `action` since the count last started over: 1 after the first failure. */
const retriesOf = (context: ReturnSagaContext, action: ReturnAction) => context.attempts[action] - context.retryFrom[action];

const failureOf = (event: ReturnSagaEvent) => event.data as Partial<FailureData>;

/** What every command of a return carries: its subject (the return), its order, and which attempt this is. */
const keyed = (context: ReturnSagaContext, action: ReturnAction) => ({
  returnId: context.request.returnId,
  orderId: context.request.orderId,
  attempt: context.attempts[action],
});

/** The named implementations of the returns saga: what its chart (returnSaga.ts) refers to by name. Pure. */
export const returnSagaSetup = setup({
  types: {
    context: {} as ReturnSagaContext,
    events: {} as ReturnSagaEvent,
    input: {} as ReturnSagaInput,
    emitted: {} as ReturnSagaCommand,
  },
  actions: {
    countAttempt: assign(({ context }, params: { action: ReturnAction }) => ({
      attempts: { ...context.attempts, [params.action]: context.attempts[params.action] + 1 },
    })),
    planBackoff: assign(({ context }, params: { action: ReturnAction }) => ({
      backoffMs: {
        ...context.backoffMs,
        [params.action]: backoffDelay(context.settings, retriesOf(context, params.action), `${context.request.returnId}:${params.action}:${context.attempts[params.action]}`),
      },
    })),
    recordStep: assign(({ context }, params: { action: ReturnAction }) => ({ steps: [...context.steps, { action: params.action }] })),
    decide: assign(({ event }, params: { approved: boolean }) => {
      const data = event.data as OperatorData;
      return { decision: { approved: params.approved, operator: data.operator, reason: data.reason ?? null } };
    }),
    reject: assign((_, params: { reason: RejectionReason }) => ({ rejectionReason: params.reason })),
    recordLabel: assign(({ event }) => ({ labelId: (event.data as { labelId: string }).labelId })),
    /**
     * A refund adds what it paid; its reversal takes all of that back. A refund whose answer never
     * came (`unknown`) may have paid after all, which only the reversal's amount tells: that is then
     * what it paid. Either way nothing stays refunded, and the net never goes below zero.
     */
    addRefunded: assign(({ context, event }, params: { sign: 1 | -1 }) => {
      const { amount } = event.data as { amount: number };
      return { refunded: params.sign === 1 ? context.refunded + amount : Math.max(context.refunded, amount) - amount };
    }),
    /** The first failure names the return's; a later one (the other branch, stopped) does not overwrite it. */
    failWith: assign(({ context }, params: { reason: ReturnFailureReason }) => ({ failureReason: context.failureReason ?? params.reason })),
    /** A final refusal carries its own reason; a transient failure that ran out of attempts means the step is unavailable. */
    failFromReply: assign(({ context, event }, params: { whenExhausted: ReturnFailureReason }) => {
      const failure = failureOf(event);
      return { failureReason: context.failureReason ?? (failure.retryable !== false ? params.whenExhausted : String(failure.reason)) };
    }),
    park: assign(({ context, event }, params: { action: ReturnAction }) => ({
      attention: { reason: 'COMPENSATION_PARKED' as const, action: params.action, attempts: context.attempts[params.action], lastError: String(failureOf(event).reason) },
    })),
    /** An operator's resume: the count towards parking starts over. */
    startOver: assign(({ context }, params: { action: ReturnAction }) => ({ retryFrom: { ...context.retryFrom, [params.action]: context.attempts[params.action] } })),
    clearAttention: assign({ attention: null }),
    issueReturnLabel: emit(({ context }) => ({
      type: 'IssueReturnLabel' as const,
      data: { ...keyed(context, 'label'), customerId: context.request.customerId, items: context.request.items },
    })),
    voidReturnLabel: emit(({ context }) => ({ type: 'VoidReturnLabel' as const, data: { ...keyed(context, 'voidLabel'), labelId: context.labelId } })),
    refundReturn: emit(({ context }) => ({
      type: 'RefundReturn' as const,
      data: { ...keyed(context, 'refund'), amount: context.request.refundAmount, currency: context.request.currency },
    })),
    reverseReturnRefund: emit(({ context }) => ({ type: 'ReverseReturnRefund' as const, data: { ...keyed(context, 'reverseRefund'), currency: context.request.currency } })),
    restockReturn: emit(({ context }) => ({ type: 'RestockReturn' as const, data: { ...keyed(context, 'restock'), items: context.request.items } })),
    reverseReturnRestock: emit(({ context }) => ({ type: 'ReverseReturnRestock' as const, data: { ...keyed(context, 'reverseRestock'), items: context.request.items } })),
  },
  guards: {
    withinThreshold: ({ context }) => context.request.refundAmount <= context.settings.approvalAboveMinor,
    /** A transient failure is retried while attempts remain, and while no other step of the return has failed. */
    canRetry: ({ context, event }, params: { action: ReturnAction }) =>
      failureOf(event).retryable === true && context.attempts[params.action] < context.settings.maxAttempts && context.failureReason === null,
    anotherStepFailed: ({ context }) => context.failureReason !== null,
    belowParkLimit: ({ context }, params: { action: ReturnAction }) => retriesOf(context, params.action) < context.settings.parkAfterAttempts,
    labelFailed: ({ context }) => context.failureReason !== null,
    // What the parallel branches ended in says what to undo: named, so that the chart exports to Stately.
    bothTookEffect: and([stateIn(REFUNDED), stateIn(RESTOCKED)]),
    bothToUndo: and([REFUND_TO_UNDO, RESTOCK_TO_UNDO]),
    restockToUndo: RESTOCK_TO_UNDO,
    refundToUndo: REFUND_TO_UNDO,
  },
  delays: {
    approvalDeadline: ({ context }) => context.settings.approvalDeadlineMs,
    parcelDeadline: ({ context }) => context.settings.parcelDeadlineMs,
    stepDeadline: ({ context }) => context.settings.stepDeadlineMs,
    labelBackoff: ({ context }) => context.backoffMs.label,
    voidLabelBackoff: ({ context }) => context.backoffMs.voidLabel,
    refundBackoff: ({ context }) => context.backoffMs.refund,
    restockBackoff: ({ context }) => context.backoffMs.restock,
    reverseRefundBackoff: ({ context }) => context.backoffMs.reverseRefund,
    reverseRestockBackoff: ({ context }) => context.backoffMs.reverseRestock,
  },
});
