import { or, stateIn } from 'xstate';

/** The compensating part of the returns chart: what the join undoes, and how each reversal runs. */
export const REFUNDED = '#returnSaga.processing.refund.refunded';
export const RESTOCKED = '#returnSaga.processing.restock.restocked';
/** A branch to undo: it took effect, or may have. Decided by the states the branches ended in, so `xsaga check` can follow it. */
export const REFUND_TO_UNDO = or([stateIn(REFUNDED), stateIn('#returnSaga.processing.refund.unknown')]);
export const RESTOCK_TO_UNDO = or([stateIn(RESTOCKED), stateIn('#returnSaga.processing.restock.unknown')]);

/** Reversing the restock, then going to `next`. */
export const reversingRestock = (next: string) => ({
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
export const reversingRefund = (next: string) => ({
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
