import { PINNED_OPTIONAL_SETTINGS } from './returnSettings.ts';
import { reversingRefund, reversingRestock } from './returnReversals.ts';
import { returnSagaSetup } from './returnSagaSetup.ts';
import type { Attempts } from './returnTypes.ts';

/** Bump when the statechart changes in a way old streams must not be replayed through. */
export const RETURN_SAGA_VERSION = 1;

const none: Attempts = { label: 0, voidLabel: 0, refund: 0, restock: 0, reverseRefund: 0, reverseRestock: 0 };

/**
 * The returns saga: an operator approves a return above the threshold (or it is rejected at the
 * deadline); a label is issued and the parcel awaited (or the return expires and the label is
 * voided); then the refund and the restock run side by side. When one of them fails, the other is
 * stopped: a command in flight is waited for, a retry between attempts is not made, and what took
 * effect (or may have) is undone before the return ends failed. Pure, like every machine of xsaga.
 */
export const returnSaga = returnSagaSetup.createMachine({
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
        { guard: 'bothTookEffect', target: 'completed' },
        { guard: 'bothToUndo', target: 'compensating.both' },
        { guard: 'restockToUndo', target: 'compensating.restock' },
        { guard: 'refundToUndo', target: 'compensating.refund' },
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
