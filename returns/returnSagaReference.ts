import type { Attempts, Decision, FailureData, OperatorData, ReturnAction, ReturnAttention, ReturnSagaCommand, ReturnSagaInput, ReturnStep } from './returnTypes.ts';
import { PINNED_OPTIONAL_SETTINGS } from './returnSettings.ts';
import { FINAL, nameOf, type Branch, type BranchState, type Sub, type Where } from './returnReferenceStates.ts';
import { RETURN_TIMERS } from './returnTimers.ts';
import { backoffDelay } from 'xsaga';
import type { ExpectedStep, SagaReference } from 'xsaga/testing';

const undoAction = (branch: Branch): ReturnAction => (branch === 'refund' ? 'reverseRefund' : 'reverseRestock');
const toUndo = (state: BranchState) => state === 'done' || state === 'unknown';

/**
 * The returns saga restated step by step from its description, not from the statechart:
 * - above the threshold an operator approves (on to the label) or rejects; the approval deadline rejects;
 * - the label is issued, retried with backoff on a transient failure while attempts remain; a final
 *   refusal or running out fails the return; its deadline (over all attempts) voids the label and fails;
 * - the parcel arrives (refund and restock sent together) or its deadline voids the label: expired;
 * - each of refund and restock: done, refused (final or exhausted: nothing to undo), unknown (its
 *   deadline, or stopped between attempts once the other failed: undone in case). A transient failure
 *   is retried only while the other has not failed;
 * - both settled: both done completes; else the restock is undone, then the refund, each only when it
 *   took effect or may have; a reversal (like the label's void) is retried, and parks for an operator,
 *   who resumes it, after `parkAfterAttempts` failures in a row;
 * - a timer is armed on entering its state and cancelled on leaving it, by any transition.
 */
export function returnSagaReference(input: ReturnSagaInput): SagaReference {
  const { settings: pinned, ...request } = input;
  const settings = { ...PINNED_OPTIONAL_SETTINGS, ...pinned };
  const none: Attempts = { label: 0, voidLabel: 0, refund: 0, restock: 0, reverseRefund: 0, reverseRestock: 0 };
  const attempts: Record<ReturnAction, number> = { ...none };
  const retryFrom: Record<ReturnAction, number> = { ...none };
  const backoffMs: Record<ReturnAction, number> = { ...none };
  const steps: ReturnStep[] = [];
  let decision: Decision | null = null;
  let labelId: string | null = null;
  let refunded = 0;
  let rejectionReason: string | null = null;
  let failureReason: string | null = null;
  let attention: ReturnAttention | null = null;
  let where: Where = { at: 'awaitingApproval' };
  let out: { emitted: ReturnSagaCommand[]; armed: { id: string; delay: number }[]; cancelled: string[] };

  const keyed = (action: ReturnAction) => ({ returnId: request.returnId, orderId: request.orderId, attempt: attempts[action] });
  const send = (action: ReturnAction) => {
    attempts[action]++;
    const commands: Record<ReturnAction, () => ReturnSagaCommand> = {
      label: () => ({ type: 'IssueReturnLabel', data: { ...keyed('label'), customerId: request.customerId, items: request.items } }),
      voidLabel: () => ({ type: 'VoidReturnLabel', data: { ...keyed('voidLabel'), labelId } }),
      refund: () => ({ type: 'RefundReturn', data: { ...keyed('refund'), amount: request.refundAmount, currency: request.currency } }),
      restock: () => ({ type: 'RestockReturn', data: { ...keyed('restock'), items: request.items } }),
      reverseRefund: () => ({ type: 'ReverseReturnRefund', data: { ...keyed('reverseRefund'), currency: request.currency } }),
      reverseRestock: () => ({ type: 'ReverseReturnRestock', data: { ...keyed('reverseRestock'), items: request.items } }),
    };
    out.emitted.push(commands[action]());
  };
  const retries = (action: ReturnAction) => attempts[action] - retryFrom[action];
  const arm = (id: string, delay: number) => out.armed.push({ id, delay });
  const backOff = (action: ReturnAction, id: string) => {
    backoffMs[action] = backoffDelay(settings, retries(action), `${request.returnId}:${action}:${attempts[action]}`);
    arm(id, backoffMs[action]);
  };
  const failFirst = (reason: string) => (failureReason ??= reason);
  const failureFrom = (data: FailureData, whenExhausted: string) => failFirst(data.retryable ? whenExhausted : data.reason);
  const canRetry = (data: FailureData, action: ReturnAction) => data.retryable && attempts[action] < settings.maxAttempts && failureReason === null;

  const enterLabel = () => {
    arm(RETURN_TIMERS.label, settings.stepDeadlineMs);
    send('label');
    where = { at: 'label', sub: 'sending' };
  };
  const enterVoiding = () => {
    send('voidLabel');
    where = { at: 'voidingLabel', sub: 'sending' };
  };
  const enterBranch = (branch: Branch) => {
    send(branch);
    arm(RETURN_TIMERS[branch], settings.stepDeadlineMs);
  };
  const backoffTimerOf = (chain: 'both' | Branch, undoing: Branch) =>
    chain === 'both' ? (undoing === 'refund' ? RETURN_TIMERS.reverseRefundBackoffBoth : RETURN_TIMERS.reverseRestockBackoffBoth) : undoing === 'refund' ? RETURN_TIMERS.reverseRefundBackoff : RETURN_TIMERS.reverseRestockBackoff;
  const enterReversal = (chain: 'both' | Branch, undoing: Branch) => {
    send(undoAction(undoing));
    where = { at: 'compensating', chain, undoing, sub: 'sending' };
  };
  /** A compensation's failure: another attempt after a backoff, or a park past the limit. */
  const failedAgain = (action: ReturnAction, data: FailureData, backoffTimer: string): Sub => {
    if (retries(action) < settings.parkAfterAttempts) {
      backOff(action, backoffTimer);
      return 'backingOff';
    }
    attention = { reason: 'COMPENSATION_PARKED', action, attempts: attempts[action], lastError: data.reason };
    return 'parked';
  };
  const resume = (action: ReturnAction) => {
    attention = null;
    retryFrom[action] = attempts[action];
  };

  /** One region's move on `event`, or undefined when the event is not its own. */
  function moveBranch(branch: Branch, state: BranchState, event: { type: string; data?: unknown }): BranchState | undefined {
    const [done, failed, backoff] = branch === 'refund' ? ['ReturnRefunded', 'ReturnRefundFailed', RETURN_TIMERS.refundBackoff] : ['ReturnRestocked', 'ReturnRestockFailed', RETURN_TIMERS.restockBackoff];
    if (state === 'sending' && event.type === RETURN_TIMERS[branch]) {
      out.cancelled.push(RETURN_TIMERS[branch]);
      failFirst(branch === 'refund' ? 'REFUND_TIMEOUT' : 'RESTOCK_TIMEOUT');
      return 'unknown';
    }
    if (state === 'sending' && event.type === done) {
      out.cancelled.push(RETURN_TIMERS[branch]);
      if (branch === 'refund') refunded += (event.data as { amount: number }).amount;
      steps.push({ action: branch });
      return 'done';
    }
    if (state === 'sending' && event.type === failed) {
      out.cancelled.push(RETURN_TIMERS[branch]);
      const data = event.data as FailureData;
      if (canRetry(data, branch)) {
        backOff(branch, backoff);
        return 'backingOff';
      }
      failureFrom(data, branch === 'refund' ? 'REFUND_UNAVAILABLE' : 'RESTOCK_UNAVAILABLE');
      return 'refused';
    }
    if (state === 'backingOff' && event.type === backoff) {
      out.cancelled.push(backoff);
      enterBranch(branch);
      return 'sending';
    }
    return undefined;
  }

  function processing(refund: BranchState, restock: BranchState, event: { type: string; data?: unknown }): void {
    const movedRefund = moveBranch('refund', refund, event);
    const movedRestock = movedRefund === undefined ? moveBranch('restock', restock, event) : undefined;
    if (movedRefund === undefined && movedRestock === undefined) throw new Error(`the reference has the returns saga in ${nameOf(where)} ignore ${event.type}`);
    let next = { refund: movedRefund ?? refund, restock: movedRestock ?? restock };
    // Once a step failed, the other is not tried again: between attempts, it stops where it is.
    for (const branch of ['refund', 'restock'] as const) {
      if (next[branch] === 'backingOff' && failureReason !== null) {
        out.cancelled.push(branch === 'refund' ? RETURN_TIMERS.refundBackoff : RETURN_TIMERS.restockBackoff);
        next = { ...next, [branch]: 'unknown' };
      }
    }
    where = { at: 'processing', ...next };
    const settled = (state: BranchState) => state === 'done' || state === 'refused' || state === 'unknown';
    if (!settled(next.refund) || !settled(next.restock)) return;
    if (next.refund === 'done' && next.restock === 'done') where = { at: 'completed' };
    else if (toUndo(next.refund) && toUndo(next.restock)) enterReversal('both', 'restock');
    else if (toUndo(next.restock)) enterReversal('restock', 'restock');
    else if (toUndo(next.refund)) enterReversal('refund', 'refund');
    else where = { at: 'failed' };
  }

  function step(event: { type: string; data?: unknown }): void {
    const failure = event.data as FailureData;
    const state = where;
    if (state.at === 'awaitingApproval') {
      out.cancelled.push(RETURN_TIMERS.approval);
      const { operator, reason } = (event.data ?? {}) as OperatorData;
      if (event.type === 'ReturnApproved') {
        decision = { approved: true, operator, reason: reason ?? null };
        return enterLabel();
      }
      if (event.type === 'ReturnRejected') decision = { approved: false, operator, reason: reason ?? null };
      rejectionReason = event.type === 'ReturnRejected' ? 'REJECTED_BY_OPERATOR' : 'APPROVAL_TIMEOUT';
      where = { at: 'rejected' };
      return;
    }
    if (state.at === 'label') {
      if (state.sub === 'backingOff') out.cancelled.push(RETURN_TIMERS.labelBackoff);
      if (event.type === RETURN_TIMERS.labelBackoff) return void (send('label'), (where = { at: 'label', sub: 'sending' }));
      if (event.type === 'ReturnLabelFailed' && canRetry(failure, 'label')) {
        backOff('label', RETURN_TIMERS.labelBackoff);
        where = { at: 'label', sub: 'backingOff' };
        return;
      }
      out.cancelled.push(RETURN_TIMERS.label);
      if (event.type === 'ReturnLabelIssued') {
        labelId = (event.data as { labelId: string }).labelId;
        steps.push({ action: 'label' });
        arm(RETURN_TIMERS.parcel, settings.parcelDeadlineMs);
        where = { at: 'awaitingParcel' };
      } else if (event.type === 'ReturnLabelFailed') {
        failureFrom(failure, 'LABEL_UNAVAILABLE');
        where = { at: 'failed' };
      } else {
        failFirst('LABEL_TIMEOUT');
        enterVoiding();
      }
      return;
    }
    if (state.at === 'awaitingParcel') {
      out.cancelled.push(RETURN_TIMERS.parcel);
      if (event.type === RETURN_TIMERS.parcel) return enterVoiding();
      enterBranch('refund');
      enterBranch('restock');
      where = { at: 'processing', refund: 'sending', restock: 'sending' };
      return;
    }
    if (state.at === 'voidingLabel') {
      if (state.sub === 'backingOff') out.cancelled.push(RETURN_TIMERS.voidBackoff);
      if (event.type === 'ReturnLabelVoided') {
        steps.push({ action: 'voidLabel' });
        where = { at: failureReason === null ? 'expired' : 'failed' };
      } else if (event.type === 'ReturnLabelVoidFailed') {
        where = { at: 'voidingLabel', sub: failedAgain('voidLabel', failure, RETURN_TIMERS.voidBackoff) };
      } else {
        if (event.type === 'ResumeRequested') resume('voidLabel');
        enterVoiding();
      }
      return;
    }
    if (state.at === 'processing') return processing(state.refund, state.restock, event);
    if (state.at === 'compensating') {
      const action = undoAction(state.undoing);
      const backoffTimer = backoffTimerOf(state.chain, state.undoing);
      if (state.sub === 'backingOff') out.cancelled.push(backoffTimer);
      if (event.type === 'ReturnRestockReversed' || event.type === 'ReturnRefundReversed') {
        steps.push({ action });
        // The reversal takes back all the refund paid, whether its answer came or not: nothing stays refunded.
        if (state.undoing === 'refund') refunded = 0;
        if (state.chain === 'both' && state.undoing === 'restock') return enterReversal('both', 'refund');
        where = { at: 'failed' };
      } else if (event.type === 'ReturnRestockReversalFailed' || event.type === 'ReturnRefundReversalFailed') {
        where = { ...state, sub: failedAgain(action, failure, backoffTimer) };
      } else {
        if (event.type === 'ResumeRequested') resume(action);
        enterReversal(state.chain, state.undoing);
      }
      return;
    }
    throw new Error(`the reference has the returns saga over (${state.at}) yet given ${event.type}`);
  }

  const expected = (): ExpectedStep => {
    const state = nameOf(where);
    return {
      state,
      status: FINAL.has(state) ? 'done' : 'active',
      emitted: out.emitted,
      armed: out.armed,
      cancelled: out.cancelled,
      context: {
        attempts: { ...attempts },
        retryFrom: { ...retryFrom },
        backoffMs: { ...backoffMs },
        decision,
        labelId,
        refunded,
        steps: [...steps],
        rejectionReason,
        failureReason,
        attention,
      },
    };
  };

  return {
    start() {
      out = { emitted: [], armed: [], cancelled: [] };
      arm(RETURN_TIMERS.approval, settings.approvalDeadlineMs);
      // Within the threshold, no one decides: the saga passes straight on to the label.
      if (request.refundAmount <= settings.approvalAboveMinor) {
        out.cancelled.push(RETURN_TIMERS.approval);
        enterLabel();
      }
      return expected();
    },
    step(event) {
      out = { emitted: [], armed: [], cancelled: [] };
      step(event as { type: string; data?: unknown });
      return expected();
    },
  };
}
