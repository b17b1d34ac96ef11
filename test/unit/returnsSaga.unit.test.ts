import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyEventObject, type AnyMachineSnapshot } from 'xstate';
import { RETURN_REQUESTED, returnSagaEvents } from '../../returns/returnEvents.ts';
import { returnSagaDefinition } from '../../returns/returnSagaDefinition.ts';
import { RETURN_TIMERS } from '../../returns/returnTimers.ts';
import { RETURN_SETTING_DEFAULTS } from '../../returns/returnSettings.ts';
import type { ReturnSagaInput } from '../../returns/returnTypes.ts';
import { stateName as returnStateName } from '../../runtime/stateName.ts';
import { checkReturnView } from '../../returns/returnView.ts';
import { createMessage } from '../../runtime/message.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';

const topics = { paymentCommands: 'pay', inventoryCommands: 'inv', shippingCommands: 'ship', returnEvents: 'return-events' };
const definition = returnSagaDefinition(topics);

const request = (refundAmount: number): ReturnSagaInput => ({
  returnId: 'ret-1',
  orderId: 'ord-1',
  customerId: 'cus-1',
  items: [{ sku: 'SKU-1', quantity: 1, unitPrice: refundAmount }],
  refundAmount,
  currency: 'EUR',
  reason: 'wrong size',
  requestedAt: '2030-01-01T00:00:00.000Z',
  settings: { ...RETURN_SETTING_DEFAULTS },
});

/** Given a return, when these events arrive, then: its snapshot and the commands the last one emitted. */
function given(input: ReturnSagaInput, events: readonly AnyEventObject[]) {
  let [snapshot, actions] = initialTransition(definition.machine, input);
  for (const event of events) [snapshot, actions] = transition(definition.machine, snapshot, event as never);
  const commands = (actions as readonly { type: string; params?: unknown }[])
    .filter((a) => a.type === 'xstate.emit')
    .map((a) => (a.params as { event: AnyEventObject }).event.type);
  return { snapshot: snapshot as AnyMachineSnapshot, commands };
}
const view = (snapshot: AnyMachineSnapshot) => definition.view({ streamId: 'ret-1', version: 3, snapshot: snapshot as never, updatedAt: '2030-01-02T00:00:00.000Z' });

describe('the returns saga, as the runtime hosts it', () => {
  it('registers: every event its machine accepts has a rule', () => {
    expect(new MachineRegistry().register(definition).latest('returnSaga')).toBe(definition);
  });

  it('starts from ReturnRequested, whose data is the machine input, and sends each command to its participant', () => {
    const start = createMessage(RETURN_REQUESTED, request(100), { messageId: 'm1', correlationId: 'ret-1', occurredAt: '2030-01-01T00:00:00.000Z' });
    expect(definition.input(start)).toEqual(request(100));
    expect(returnSagaEvents.ReturnRequested.check(request(100))).toBeUndefined();
    expect(returnSagaEvents.ReturnRequested.check({ ...request(100), items: [] })).toMatch(/data\.items/);
    expect(['IssueReturnLabel', 'RefundReturn', 'RestockReturn', 'ReverseReturnRefund'].map((type) => definition.topicOf({ type }))).toEqual(['ship', 'pay', 'inv', 'pay']);
    expect(() => definition.topicOf({ type: 'CapturePayment' })).toThrow('unknown command CapturePayment');
  });

  it('accepts a reply only as the answer to its own command, and an operator’s decision as a fact of its own', () => {
    expect(returnSagaEvents.ReturnRefunded.answers).toEqual(['RefundReturn']);
    expect(returnSagaEvents.ReturnApproved.answers).toBeUndefined();
    expect(returnSagaEvents.ReturnApproved.check({ operator: '' })).toMatch(/data\.operator/);
    expect(returnSagaEvents.ParcelReceived.check({ receivedAt: 'yesterday' })).toMatch(/data\.receivedAt/);
    expect(returnSagaEvents.ParcelReceived.check({})).toBeUndefined();
  });

  it('waits for an operator above the threshold, and rejects at the approval deadline', () => {
    const { snapshot } = given(request(RETURN_SETTING_DEFAULTS.approvalAboveMinor + 1), [{ type: RETURN_TIMERS.approval }]);
    expect(view(snapshot)).toMatchObject({ status: 'REJECTED', state: 'rejected', rejectionReason: 'APPROVAL_TIMEOUT', reason: 'wrong size' });
    expect(definition.outcome!(snapshot as never)).toEqual({ failed: false, reason: 'APPROVAL_TIMEOUT' });
  });

  it('refunds and restocks together once the parcel is in, and completes when both are done', () => {
    const { snapshot, commands } = given(request(100), [
      { type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } },
      { type: 'ParcelReceived', data: { receivedAt: '2030-01-03T00:00:00.000Z' } },
    ]);
    expect(commands).toEqual(['RefundReturn', 'RestockReturn']);
    expect(view(snapshot).state).toBe('processing.refund.refunding, processing.restock.restocking');
    const done = given(request(100), [
      { type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } },
      { type: 'ParcelReceived', data: { receivedAt: '2030-01-03T00:00:00.000Z' } },
      { type: 'ReturnRestocked', data: {} },
      { type: 'ReturnRefunded', data: { amount: 100 } },
    ]).snapshot;
    expect(view(done)).toMatchObject({ status: 'COMPLETED', refund: { amount: 100, currency: 'EUR', refunded: 100 } });
    expect(checkReturnView(view(done))).toBeUndefined();
  });

  it('waits for a restock in flight when the refund is refused, and undoes it once it is done', () => {
    const refused = given(request(100), [
      { type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } },
      { type: 'ParcelReceived', data: { receivedAt: '2030-01-03T00:00:00.000Z' } },
      { type: 'ReturnRefundFailed', data: { reason: 'REFUND_EXCEEDS_CAPTURE', retryable: false } },
    ]);
    expect(refused.commands).toEqual([]);
    expect(view(refused.snapshot).state).toBe('processing.refund.refused, processing.restock.restocking');
    const undone = given(request(100), [
      { type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } },
      { type: 'ParcelReceived', data: { receivedAt: '2030-01-03T00:00:00.000Z' } },
      { type: 'ReturnRefundFailed', data: { reason: 'REFUND_EXCEEDS_CAPTURE', retryable: false } },
      { type: 'ReturnRestocked', data: {} },
    ]);
    expect(undone.commands).toEqual(['ReverseReturnRestock']);
    const failed = given(request(100), [
      { type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } },
      { type: 'ParcelReceived', data: { receivedAt: '2030-01-03T00:00:00.000Z' } },
      { type: 'ReturnRefundFailed', data: { reason: 'REFUND_EXCEEDS_CAPTURE', retryable: false } },
      { type: 'ReturnRestocked', data: {} },
      { type: 'ReturnRestockReversed', data: {} },
    ]).snapshot;
    expect(view(failed)).toMatchObject({ status: 'FAILED', failureReason: 'REFUND_EXCEEDS_CAPTURE', refund: { refunded: 0 } });
    expect(definition.outcome!(failed as never)).toEqual({ failed: true, reason: 'REFUND_EXCEEDS_CAPTURE' });
  });

  it('learns from its reversal what a refund that never answered paid, and ends with nothing refunded either way', () => {
    const unanswered = [
      { type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } },
      { type: 'ParcelReceived', data: { receivedAt: '2030-01-03T00:00:00.000Z' } },
      { type: RETURN_TIMERS.refund },
      { type: 'ReturnRestockFailed', data: { reason: 'DAMAGED', retryable: false } },
    ];
    expect(given(request(100), unanswered).commands).toEqual(['ReverseReturnRefund']);
    // It paid after all (its answer came too late), or it never did and the participant reversed nothing.
    for (const amount of [100, 0]) {
      const failed = given(request(100), [...unanswered, { type: 'ReturnRefundReversed', data: { amount } }]).snapshot;
      expect(view(failed), `reversed ${amount}`).toMatchObject({ status: 'FAILED', failureReason: 'REFUND_TIMEOUT', refund: { refunded: 0 } });
      expect(checkReturnView(view(failed)), `reversed ${amount}`).toBeUndefined();
    }
  });

  it('expires when no parcel comes, voiding the label it issued', () => {
    const { snapshot, commands } = given(request(100), [{ type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } }, { type: RETURN_TIMERS.parcel }]);
    expect(commands).toEqual(['VoidReturnLabel']);
    const expired = transition(definition.machine, snapshot as never, { type: 'ReturnLabelVoided', data: {} } as never)[0];
    expect(view(expired as AnyMachineSnapshot)).toMatchObject({ status: 'EXPIRED', state: 'expired' });
  });

  it('names a state value with parallel regions side by side, and its view passes its own check or says why not', () => {
    expect(returnStateName({ compensating: { both: { reversingRestock: 'parked' } } })).toBe('compensating.both.reversingRestock.parked');
    expect(returnStateName({ processing: { refund: 'refunded', restock: 'backingOff' } })).toBe('processing.refund.refunded, processing.restock.backingOff');
    expect(checkReturnView({ returnId: 'r' })).toMatch(/data\.orderId/);
    expect(checkReturnView({ ...view(given(request(100), []).snapshot), attention: null })).toMatch(/attention/);
  });
});
