import { and, assign, emit, or, setup, stateIn } from 'xstate';
import { PINNED_OPTIONAL_SETTINGS } from './returnSettings.ts';
import type {
  Attempts,
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
import { backoffDelay } from './xsaga.ts';

/** Bump when the statechart changes in a way old streams must not be replayed through. */
export const RETURN_SAGA_VERSION = 1;

const none: Attempts = { label: 0, voidLabel: 0, refund: 0, restock: 0, reverseRefund: 0, reverseRestock: 0 };

/** Retries of `action` since the count last started over: 1 after the first failure. */
const retriesOf = (context: ReturnSagaContext, action: ReturnAction) => context.attempts[action] - context.retryFrom[action];

const failureOf = (event: ReturnSagaEvent) => event.data as Partial<FailureData>;

/** What every command of a return carries: its subject (the return), its order, and which attempt this is. */
const keyed = (context: ReturnSagaContext, action: ReturnAction) => ({
  returnId: context.request.returnId,
  orderId: context.request.orderId,
  attempt: context.attempts[action],
});

const REFUNDED = '#returnSaga.processing.refund.refunded';
const RESTOCKED = '#returnSaga.processing.restock.restocked';
/** A branch to undo: it took effect, or may have. */
const REFUND_TO_UNDO = or([stateIn(REFUNDED), stateIn('#returnSaga.processing.refund.unknown')]);
const RESTOCK_TO_UNDO = or([stateIn(RESTOCKED), stateIn('#returnSaga.processing.restock.unknown')]);

/** Reversing the restock, then going to `next`. */
const reversingRestock = (next: string) => ({
  initial: 'reversing',
  states: {
    reversing: {
      entry: [{ type: 'countAttempt', params: { action: 'reverseRestock' } }, 'reverseReturnRestock'],
      on: {
        ReturnRestockReversalFailed: [
          { guard: { type: 'belowParkLimit', params: { action: 'reverseRestock' } }, target: 'backingOff' },
          { target: 'parked', actions: { type: 'park', params: { action: 'reverseRestock' } } },
        ],
      },
    },
    backingOff: { entry: { type: 'planBackoff', params: { action: 'reverseRestock' } }, after: { reverseRestockBackoff: 'reversing' } },
    parked: {
      description: 'The reversal kept failing: an operator resumes it once its cause is fixed.',
      exit: 'clearAttention',
      on: { ResumeRequested: { target: 'reversing', actions: { type: 'startOver', params: { action: 'reverseRestock' } } } },
    },
  },
  on: { ReturnRestockReversed: { target: next, actions: { type: 'recordStep', params: { action: 'reverseRestock' } } } },
}) as const;

/** Reversing the refund, then going to `next`. */
const reversingRefund = (next: string) => ({
  initial: 'reversing',
  states: {
    reversing: {
      entry: [{ type: 'countAttempt', params: { action: 'reverseRefund' } }, 'reverseReturnRefund'],
      on: {
        ReturnRefundReversalFailed: [
          { guard: { type: 'belowParkLimit', params: { action: 'reverseRefund' } }, target: 'backingOff' },
          { target: 'parked', actions: { type: 'park', params: { action: 'reverseRefund' } } },
        ],
      },
    },
    backingOff: { entry: { type: 'planBackoff', params: { action: 'reverseRefund' } }, after: { reverseRefundBackoff: 'reversing' } },
    parked: {
      description: 'The reversal kept failing: an operator resumes it once its cause is fixed.',
      exit: 'clearAttention',
      on: { ResumeRequested: { target: 'reversing', actions: { type: 'startOver', params: { action: 'reverseRefund' } } } },
    },
  },
  on: {
    ReturnRefundReversed: { target: next, actions: [{ type: 'addRefunded', params: { sign: -1 } }, { type: 'recordStep', params: { action: 'reverseRefund' } }] },
  },
}) as const;

/**
 * The returns saga: an operator approves a return above the threshold (or it is rejected at the
 * deadline); a label is issued and the parcel awaited (or the return expires and the label is
 * voided); then the refund and the restock run side by side. When one of them fails, the other is
 * stopped: a command in flight is waited for, a retry between attempts is not made, and what took
 * effect (or may have) is undone before the return ends failed. Pure, like every machine of xsaga.
 */
export const returnSaga = setup({
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
    addRefunded: assign(({ context, event }, params: { sign: 1 | -1 }) => ({ refunded: context.refunded + params.sign * (event.data as { amount: number }).amount })),
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
}).createMachine({
  id: 'returnSaga',
  context: ({ input }) => {
    const { settings, ...request } = input;
    return {
      request,
      settings: { ...PINNED_OPTIONAL_SETTINGS, ...settings },
      attempts: none,
      retryFrom: none,
      backoffMs: none,
      decision: null,
      labelId: null,
      refunded: 0,
      steps: [],
      rejectionReason: null,
      failureReason: null,
      attention: null,
    };
  },
  initial: 'awaitingApproval',
  states: {
    awaitingApproval: {
      description: 'A refund above the threshold waits for an operator; one within it goes straight on.',
      always: { guard: 'withinThreshold', target: 'label' },
      after: { approvalDeadline: { target: 'rejected', actions: { type: 'reject', params: { reason: 'APPROVAL_TIMEOUT' } } } },
      on: {
        ReturnApproved: { target: 'label', actions: { type: 'decide', params: { approved: true } } },
        ReturnRejected: {
          target: 'rejected',
          actions: [
            { type: 'decide', params: { approved: false } },
            { type: 'reject', params: { reason: 'REJECTED_BY_OPERATOR' } },
          ],
        },
      },
    },
    label: {
      description: 'Issue the return label; the deadline covers every attempt and every wait between them.',
      initial: 'issuing',
      after: { stepDeadline: { target: 'voidingLabel', actions: { type: 'failWith', params: { reason: 'LABEL_TIMEOUT' } } } },
      states: {
        issuing: {
          entry: [{ type: 'countAttempt', params: { action: 'label' } }, 'issueReturnLabel'],
          on: { ReturnLabelFailed: { guard: { type: 'canRetry', params: { action: 'label' } }, target: 'backingOff' } },
        },
        backingOff: {
          entry: { type: 'planBackoff', params: { action: 'label' } },
          after: { labelBackoff: 'issuing' },
        },
      },
      on: {
        ReturnLabelIssued: {
          target: 'awaitingParcel',
          actions: ['recordLabel', { type: 'recordStep', params: { action: 'label' } }],
        },
        ReturnLabelFailed: { target: 'failed', actions: { type: 'failFromReply', params: { whenExhausted: 'LABEL_UNAVAILABLE' } } },
      },
    },
    awaitingParcel: {
      description: 'The carrier reports the parcel in; past the deadline the return expires.',
      after: { parcelDeadline: 'voidingLabel' },
      on: { ParcelReceived: 'processing' },
    },
    voidingLabel: {
      description: 'Void a label no parcel came with, or one whose issuing went unanswered. Retried until it succeeds, or parked for a human.',
      initial: 'voiding',
      states: {
        voiding: {
          entry: [{ type: 'countAttempt', params: { action: 'voidLabel' } }, 'voidReturnLabel'],
          on: {
            ReturnLabelVoidFailed: [
              { guard: { type: 'belowParkLimit', params: { action: 'voidLabel' } }, target: 'backingOff' },
              { target: 'parked', actions: { type: 'park', params: { action: 'voidLabel' } } },
            ],
          },
        },
        backingOff: {
          entry: { type: 'planBackoff', params: { action: 'voidLabel' } },
          after: { voidLabelBackoff: 'voiding' },
        },
        parked: {
          exit: 'clearAttention',
          on: { ResumeRequested: { target: 'voiding', actions: { type: 'startOver', params: { action: 'voidLabel' } } } },
        },
      },
      on: {
        ReturnLabelVoided: [
          { guard: 'labelFailed', target: 'failed', actions: { type: 'recordStep', params: { action: 'voidLabel' } } },
          { target: 'expired', actions: { type: 'recordStep', params: { action: 'voidLabel' } } },
        ],
      },
    },
    processing: {
      description: 'Refund and restock side by side. A failure of one stops the other; what took effect, or may have, is undone.',
      type: 'parallel',
      states: {
        refund: {
          initial: 'refunding',
          states: {
            refunding: {
              entry: [{ type: 'countAttempt', params: { action: 'refund' } }, 'refundReturn'],
              after: { stepDeadline: { target: 'unknown', actions: { type: 'failWith', params: { reason: 'REFUND_TIMEOUT' } } } },
              on: {
                ReturnRefunded: { target: 'refunded', actions: [{ type: 'addRefunded', params: { sign: 1 } }, { type: 'recordStep', params: { action: 'refund' } }] },
                ReturnRefundFailed: [
                  { guard: { type: 'canRetry', params: { action: 'refund' } }, target: 'backingOff' },
                  { target: 'refused', actions: { type: 'failFromReply', params: { whenExhausted: 'REFUND_UNAVAILABLE' } } },
                ],
              },
            },
            backingOff: {
              description: 'Between attempts. Once the restock failed, the next attempt is not made; the refund is voided, in case an earlier attempt went through after all.',
              entry: { type: 'planBackoff', params: { action: 'refund' } },
              always: { guard: 'anotherStepFailed', target: 'unknown' },
              after: { refundBackoff: 'refunding' },
            },
            refunded: { type: 'final' },
            refused: { type: 'final', description: 'Refused, or failed at every attempt: nothing was paid.' },
            unknown: { type: 'final', description: 'Unanswered, or stopped between attempts: it may have been paid, so it is reversed.' },
          },
        },
        restock: {
          initial: 'restocking',
          states: {
            restocking: {
              entry: [{ type: 'countAttempt', params: { action: 'restock' } }, 'restockReturn'],
              after: { stepDeadline: { target: 'unknown', actions: { type: 'failWith', params: { reason: 'RESTOCK_TIMEOUT' } } } },
              on: {
                ReturnRestocked: { target: 'restocked', actions: { type: 'recordStep', params: { action: 'restock' } } },
                ReturnRestockFailed: [
                  { guard: { type: 'canRetry', params: { action: 'restock' } }, target: 'backingOff' },
                  { target: 'refused', actions: { type: 'failFromReply', params: { whenExhausted: 'RESTOCK_UNAVAILABLE' } } },
                ],
              },
            },
            backingOff: {
              description: 'Between attempts. Once the refund failed, the next attempt is not made; the restock is voided, in case an earlier attempt went through after all.',
              entry: { type: 'planBackoff', params: { action: 'restock' } },
              always: { guard: 'anotherStepFailed', target: 'unknown' },
              after: { restockBackoff: 'restocking' },
            },
            restocked: { type: 'final' },
            refused: { type: 'final', description: 'Refused, or failed at every attempt: nothing was put back.' },
            unknown: { type: 'final', description: 'Unanswered, or stopped between attempts: it may have been put back, so it is reversed.' },
          },
        },
      },
      // Both branches have settled, so nothing is in flight. The states they ended in, not the context, say what to undo,
      // so \`xsaga check\` can follow the choice. The restock was sent second, so it is undone first.
      onDone: [
        { guard: and([stateIn(REFUNDED), stateIn(RESTOCKED)]), target: 'completed' },
        { guard: and([REFUND_TO_UNDO, RESTOCK_TO_UNDO]), target: 'compensating.both' },
        { guard: RESTOCK_TO_UNDO, target: 'compensating.restock' },
        { guard: REFUND_TO_UNDO, target: 'compensating.refund' },
        { target: 'failed' },
      ],
    },
    compensating: {
      description: 'Undo what the refund and the restock did, or may have done. A reversal is retried until it succeeds, or parks for a human: it is never dropped.',
      initial: 'both',
      states: {
        both: {
          initial: 'reversingRestock',
          states: { reversingRestock: reversingRestock('reversingRefund'), reversingRefund: reversingRefund('#returnSaga.failed') },
        },
        restock: reversingRestock('#returnSaga.failed'),
        refund: reversingRefund('#returnSaga.failed'),
      },
    },
    completed: { type: 'final' },
    rejected: { type: 'final' },
    expired: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type ReturnSagaMachine = typeof returnSaga;
