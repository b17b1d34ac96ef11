import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import { RETURN_SAGA_VERSION } from './returnSaga.ts';
import { returnSagaReference } from './returnSagaReference.ts';
import { RETURN_TIMERS } from './returnTimers.ts';
import type { FailureData, OperatorData, ReturnSagaContext, ReturnSagaInput, ReturnSettings } from './returnTypes.ts';
import type { SagaPathModel } from 'xsaga/testing';

/** Two attempts and two failures before parking: every retry and park guard is tried below its limit and at it. */
const settings: ReturnSettings = {
  approvalAboveMinor: 50_000,
  approvalDeadlineMs: 48 * 3_600_000,
  parcelDeadlineMs: 14 * 24 * 3_600_000,
  stepDeadlineMs: 600_000,
  maxAttempts: 2,
  retryBaseMs: 200,
  retryMaxMs: 60_000,
  parkAfterAttempts: 2,
};

const PROCESSING_DONE = 'xstate.done.state.returnSaga.processing';

/** A return within the threshold, and one above it, which an operator must approve. */
const VARIANTS = { small: 4_000, large: 60_000 } as const;

const inputOf = (returnId: string, refundAmount: number): ReturnSagaInput => ({
  returnId,
  orderId: 'ord-paths',
  customerId: 'cus-paths',
  items: [
    { sku: 'SKU-7', quantity: 2, unitPrice: refundAmount / 4 },
    { sku: 'SKU-8', quantity: 2, unitPrice: refundAmount / 4 },
  ],
  refundAmount,
  currency: 'EUR',
  reason: 'does not fit',
  requestedAt: '2030-01-01T00:00:00.000Z',
  settings,
});

const transient: FailureData = { reason: 'PROVIDER_UNAVAILABLE', retryable: true };
const final = (reason: string): FailureData => ({ reason, retryable: false });
const operator: OperatorData = { operator: 'ops-paths', reason: 'generated path' };

/** What goes well: with these alone, a return runs from its label to its end. */
const SMOOTH = new Set(['ReturnApproved', 'ReturnLabelIssued', 'ParcelReceived', 'ReturnRefunded', 'ReturnRestocked', 'ReturnLabelVoided', 'ReturnRestockReversed', 'ReturnRefundReversed']);
const BACKOFFS = new Set<string>([
  RETURN_TIMERS.labelBackoff,
  RETURN_TIMERS.voidBackoff,
  RETURN_TIMERS.refundBackoff,
  RETURN_TIMERS.restockBackoff,
  RETURN_TIMERS.reverseRestockBackoffBoth,
  RETURN_TIMERS.reverseRefundBackoffBoth,
  RETURN_TIMERS.reverseRestockBackoff,
  RETURN_TIMERS.reverseRefundBackoff,
]);
/** A state with no command out: a reply there could only repeat the last one, a duplicate the runtime drops. */
const awaitsNoReply = (state: string) => !state.startsWith('processing') && (state.endsWith('.backingOff') || state.endsWith('.parked'));

const stateOf = (value: unknown): string => (typeof value === 'string' ? value : Object.entries(value as Record<string, unknown>).map(([key, child]) => `${key}.${stateOf(child)}`).join('|'));

/** An operator resumed a parked step: once per path, after which it goes well (or it could park and resume for ever). */
const operatorResumed = (context: ReturnSagaContext) => Object.values(context.retryFrom).some((count) => count > 0);

/**
 * Where a path may meet trouble (a failure, a deadline, a reversal that fails): once per stage, and
 * only if the stages before went well, so the paths stay a few hundred while every state and
 * transition is on some path. The stages: the label (once approved, above the threshold, the
 * return goes well: the approval's own ways are what that variant shows), the void, the refund and
 * restock (any interleaving of their troubles), and the reversals (after a single failure of either).
 */
function troubleAllowed(context: ReturnSagaContext, state: string): boolean {
  const { attempts } = context;
  if (context.decision?.approved || operatorResumed(context)) return false;
  if (state.startsWith('label')) return true;
  if (attempts.label > 1) return false;
  if (state.startsWith('voidingLabel')) return context.failureReason === null;
  if (state.startsWith('awaitingParcel') || state.startsWith('processing')) return true;
  const oneFailure = attempts.refund === 1 && attempts.restock === 1;
  if (state.startsWith('compensating.both.reversingRefund')) return oneFailure && attempts.reverseRestock === 1;
  return oneFailure;
}

/**
 * Paths of the returns saga: approved, rejected or timed out above the threshold; the label issued,
 * retried, refused or timed out; the parcel in or the return expired; the refund and the restock
 * each done, retried, refused, timed out or stopped, in every interleaving; each reversal done, or
 * failing, backing off and parking until an operator resumes it.
 */
export const returnSagaPathModel: SagaPathModel = {
  machineId: 'returnSaga',
  version: RETURN_SAGA_VERSION,
  input: (streamId) => inputOf(streamId, streamId.startsWith('large') ? VARIANTS.large : VARIANTS.small),
  variants: ['small', 'large'],
  events: {
    ReturnApproved: [{ type: 'ReturnApproved', data: operator }],
    ReturnRejected: [{ type: 'ReturnRejected', data: operator }],
    ResumeRequested: [{ type: 'ResumeRequested', data: operator }],
    // As the carrier route sends it: the message's own time says when.
    ParcelReceived: [{ type: 'ParcelReceived', data: {} }],
    ReturnLabelIssued: [{ type: 'ReturnLabelIssued', data: { labelId: 'lbl-paths' } }],
    ReturnLabelFailed: [{ type: 'ReturnLabelFailed', data: transient }, { type: 'ReturnLabelFailed', data: final('UNSERVED_AREA') }],
    ReturnLabelVoided: [{ type: 'ReturnLabelVoided', data: {} }],
    ReturnLabelVoidFailed: [{ type: 'ReturnLabelVoidFailed', data: transient }],
    ReturnRefunded: [{ type: 'ReturnRefunded', data: { amount: VARIANTS.small } }],
    ReturnRefundFailed: [{ type: 'ReturnRefundFailed', data: transient }, { type: 'ReturnRefundFailed', data: final('REFUND_EXCEEDS_CAPTURE') }],
    ReturnRefundReversed: [{ type: 'ReturnRefundReversed', data: { amount: VARIANTS.small } }],
    ReturnRefundReversalFailed: [{ type: 'ReturnRefundReversalFailed', data: transient }],
    ReturnRestocked: [{ type: 'ReturnRestocked', data: {} }],
    ReturnRestockFailed: [{ type: 'ReturnRestockFailed', data: transient }, { type: 'ReturnRestockFailed', data: final('DAMAGED') }],
    ReturnRestockReversed: [{ type: 'ReturnRestockReversed', data: {} }],
    ReturnRestockReversalFailed: [{ type: 'ReturnRestockReversalFailed', data: transient }],
    ...Object.fromEntries(Object.values(RETURN_TIMERS).map((timer) => [timer, [{ type: timer }]])),
    // The machine raises it itself once both branches are done; listed because the state accepts it, never tried.
    [PROCESSING_DONE]: [{ type: PROCESSING_DONE }],
  },
  /** The state and the whole context but the request and the settings, which never change. */
  serializeState(snapshot: AnyMachineSnapshot) {
    const { request: _request, settings: _settings, ...rest } = snapshot.context as ReturnSagaContext;
    return JSON.stringify({ state: snapshot.value, ...rest });
  },
  tries(snapshot: AnyMachineSnapshot, event: AnyEventObject) {
    const state = stateOf(snapshot.value);
    if (event.type === PROCESSING_DONE) return false;
    const isTimer = event.type.startsWith('xstate.after.');
    if (!isTimer && event.type !== 'ResumeRequested' && awaitsNoReply(state)) return false;
    if (event.type === 'ResumeRequested') return !operatorResumed(snapshot.context as ReturnSagaContext);
    if (SMOOTH.has(event.type) || BACKOFFS.has(event.type)) return true;
    // The approval's own ways: rejected by an operator or by its deadline.
    if (state === 'awaitingApproval') return true;
    return troubleAllowed(snapshot.context as ReturnSagaContext, state);
  },
  succeeded: (snapshot) => snapshot.value === 'completed',
  reference: (input) => returnSagaReference(input as ReturnSagaInput),
};
