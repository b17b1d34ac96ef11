import { expect } from 'vitest';
import type { System } from '../../app/system.ts';
import { readReturnFacts } from '../../returns/returnFacts.ts';
import { checkReturnInvariants } from '../../returns/returnInvariants.ts';
import { RETURN_SETTING_DEFAULTS } from '../../returns/returnSettings.ts';
import { labelIdOf } from '../../returns/returnShipping.ts';
import { RETURN_TIMERS } from '../../returns/returnTimers.ts';
import type { ReturnView } from '../../returns/returnView.ts';
import type { TestApiKey } from './apiKeys.ts';
import { eventually } from './eventually.ts';
import { placeOrderBody } from './orderRequests.ts';
import { SETTLE_MS, viewOf } from './parkingScenario.ts';
import { timersOf } from './storeRows.ts';
import type { TestClock } from './testClock.ts';

const MINUTE_MS = 60_000;

/** The shipping participant's rows of a return's label: what it issued and what it voided, with its answer. */
async function labelRowsOf(system: System, returnId: string) {
  const result = await system.adapters.sql.query<{ operation: string; shipment_id: string | null; reply: string }>(
    `select operation, shipment_id, outcome->>'type' as reply from shipping_shipments where order_id = $1 order by operation`,
    [returnId],
  );
  return result.rows;
}

/** When a saga's timer is due, or undefined once it fired or was cancelled. */
async function dueAtOf(system: System, streamId: string, timerId: string): Promise<number | undefined> {
  const timer = (await timersOf(system.adapters.sql, streamId)).find((armed) => armed.timerId === timerId);
  return timer && Date.parse(timer.dueAt);
}

/**
 * The deadlines of a running system fired by its test clock, in milliseconds: a payment that never
 * answers fails at `XSAGA_PAYMENT_TIMEOUT_MS`, a return above the approval threshold nobody decides
 * is rejected at 48 h (not a minute before), and a label no parcel came with is voided at 14 days
 * and the return expires; then the returns' invariants hold on the participants' rows. The system
 * runs on the default return settings (`RETURN_SETTING_DEFAULTS`), and `clock` has not moved yet.
 */
export async function returnDeadlines(system: System, url: string, clock: TestClock, operator: TestApiKey): Promise<void> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, { method, headers: { ...operator.headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const returnView = async (returnId: string) => (await call('GET', `/returns/${encodeURIComponent(returnId)}`)).body as unknown as ReturnView;
  const requestReturn = async (orderId: string, items: { sku: string; quantity: number }[]) => {
    const requested = await call('POST', '/returns', { orderId, items, reason: 'changed my mind' });
    expect(requested.status).toBe(202);
    return String(requested.body.returnId);
  };
  const waitForReturn = (returnId: string, expected: Partial<ReturnView>) =>
    eventually(async () => {
      const view = await returnView(returnId);
      expect(view).toMatchObject(expected);
      return view;
    }, { timeoutMs: SETTLE_MS });

  // Two shoes cost more than the approval threshold, the order less than the fraud review's: returning both waits for an operator.
  const shoe = { sku: 'SKU-1001', quantity: 2, unitPrice: RETURN_SETTING_DEFAULTS.approvalAboveMinor / 2 + 5_000 };
  const sock = { sku: 'SKU-1002', quantity: 1, unitPrice: 499 };
  const placedAt = clock.now();
  const completed = (await system.orders.placeOrder(placeOrderBody({ items: [shoe, sock] }))).orderId;
  const unanswered = (await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId;
  // The clock stays put until both rest: a completing order's own deadlines must not fire on the way.
  await eventually(async () => expect(await viewOf(system, completed)).toMatchObject({ status: 'COMPLETED' }), { timeoutMs: SETTLE_MS });
  await eventually(async () => expect((await viewOf(system, unanswered)).state).toBe('payment.capturing'), { timeoutMs: SETTLE_MS });
  clock.set(placedAt + system.config.paymentTimeoutMs + MINUTE_MS);
  await eventually(async () => expect(await viewOf(system, unanswered)).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_TIMEOUT' }), { timeoutMs: SETTLE_MS });

  const requestedAt = clock.now();
  const large = await requestReturn(completed, [{ sku: shoe.sku, quantity: shoe.quantity }]);
  const waiting = await waitForReturn(large, { status: 'PENDING', state: 'awaitingApproval', requestedAt: new Date(requestedAt).toISOString() });
  const approvalDue = requestedAt + RETURN_SETTING_DEFAULTS.approvalDeadlineMs;
  expect(await dueAtOf(system, large, RETURN_TIMERS.approval)).toBe(approvalDue);
  // A minute short of 48 h the scheduler, asked itself, leaves the deadline armed and the return waiting.
  clock.set(approvalDue - MINUTE_MS);
  await system.scheduler.fireDue();
  expect(await dueAtOf(system, large, RETURN_TIMERS.approval)).toBe(approvalDue);
  expect(await returnView(large)).toMatchObject({ state: 'awaitingApproval', version: waiting.version });
  clock.set(approvalDue + MINUTE_MS);
  await waitForReturn(large, { status: 'REJECTED', state: 'rejected', rejectionReason: 'APPROVAL_TIMEOUT' });
  expect(await dueAtOf(system, large, RETURN_TIMERS.approval)).toBeUndefined();

  // Within the threshold: no approval, a label, and the parcel's 14 days from the moment it was issued.
  const small = await requestReturn(completed, [{ sku: sock.sku, quantity: sock.quantity }]);
  await waitForReturn(small, { status: 'PENDING', state: 'awaitingParcel' });
  expect(await labelRowsOf(system, small)).toEqual([{ operation: 'IssueReturnLabel', shipment_id: labelIdOf(small), reply: 'ReturnLabelIssued' }]);
  const parcelDue = clock.now() + RETURN_SETTING_DEFAULTS.parcelDeadlineMs;
  expect(await dueAtOf(system, small, RETURN_TIMERS.parcel)).toBe(parcelDue);
  clock.set(parcelDue + MINUTE_MS);
  await waitForReturn(small, { status: 'EXPIRED', state: 'expired', failureReason: null });
  expect(await labelRowsOf(system, small)).toEqual([
    { operation: 'IssueReturnLabel', shipment_id: labelIdOf(small), reply: 'ReturnLabelIssued' },
    { operation: 'VoidReturnLabel', shipment_id: labelIdOf(small), reply: 'ReturnLabelVoided' },
  ]);

  const report = checkReturnInvariants(await readReturnFacts(system.adapters.sql, await Promise.all([large, small].map(returnView))));
  expect(report).toMatchObject({ returns: 2, byStatus: { REJECTED: 1, EXPIRED: 1 }, violations: [] });
}
