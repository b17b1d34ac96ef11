import { afterEach, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { FRAUD_TEST_MARKERS } from '../../participants/fraud.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, uniqueCustomerId } from '../support/orderRequests.ts';
import { testClock } from '../support/testClock.ts';

/** The default order costs 29.99: a threshold of 10.00 sends it to the fraud review. */
const REVIEWED = { XSAGA_FRAUD_REVIEW_ABOVE: '1000' };
const SETTLE_MS = 30_000;
const START = Date.parse('2030-01-01T00:00:00.000Z');
const DAY_MS = 24 * 3600 * 1000;

const running: System[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function start(...args: Parameters<typeof startEmbedded>): Promise<System> {
  const system = await startEmbedded(...args);
  running.push(system);
  return system;
}

const viewOf = async (system: System, orderId: string) => (await system.adapters.readModel.get(orderId)) as OrderView | undefined;
const typesOf = async (system: System, orderId: string) => ((await system.orders.history(orderId)) ?? []).map((event) => event.message.type);
const settled = (system: System, orderId: string, expected: Partial<OrderView>) =>
  eventually(async () => expect(await viewOf(system, orderId)).toMatchObject(expected), { timeoutMs: SETTLE_MS });

describe('order saga v2 beside v1', { timeout: 120_000 }, () => {
  it('lets sagas started on v1 end on v1 after v2 is registered, and starts new orders on v2', async () => {
    const data = await tempDataDir();
    try {
      // v1 deployed: these orders wait for a payment that never answers, and are still waiting when the process stops.
      const env = { XSAGA_DATA_DIR: data.dir, XSAGA_PAYMENT_TIMEOUT_MS: '1500', ...REVIEWED };
      // The code before the deploy, as an operator would run it: the order saga up to v1.
      const before = await start({ ...env, XSAGA_MACHINE_VERSIONS: 'orderSaga:1' });
      const inFlight: string[] = [];
      for (let i = 0; i < 3; i++) inFlight.push((await before.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId);
      await eventually(async () => expect((await viewOf(before, inFlight[2]!))?.state).toBe('payment.capturing'), { timeoutMs: SETTLE_MS });
      await running.pop()!.stop();

      // v2 deployed beside v1 on the same store.
      const after = await start(env);
      const fresh = (await after.orders.placeOrder(placeOrderBody())).orderId;
      for (const orderId of inFlight) await settled(after, orderId, { status: 'FAILED', failureReason: 'PAYMENT_TIMEOUT', machineVersion: 1 });
      await settled(after, fresh, { status: 'COMPLETED', machineVersion: 2 });
      expect(await typesOf(after, inFlight[0]!)).toEqual(['OrderPlaced', 'TimerFired', 'PaymentRefunded']);
      expect(await typesOf(after, fresh)).toEqual(['OrderPlaced', 'PaymentCaptured', 'FraudScored', 'StockReserved', 'ShipmentCreated']);
      for (const orderId of inFlight) expect((await after.adapters.store.load(orderId))?.head.machineVersion).toBe(1);
      expect(await after.adapters.readModel.countBy('machineVersion')).toEqual({ 1: 3, 2: 1 });
      const scores = await after.adapters.sql.query<{ order_id: string; verdict: string }>('select order_id, verdict from fraud_scores');
      expect(scores.rows).toEqual([{ order_id: fresh, verdict: 'clean' }]);
    } finally {
      await data.remove();
    }
  });

  it('takes v1’s events below the threshold, and refunds the capture of an order the scorer finds fraudulent', async () => {
    const system = await start({ XSAGA_FRAUD_REVIEW_ABOVE: '100000' });
    const small = (await system.orders.placeOrder(placeOrderBody())).orderId;
    const fraudulent = (await system.orders.placeOrder(placeOrderBody({ customerId: uniqueCustomerId(FRAUD_TEST_MARKERS.fraud), items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 150_000 }] })))
      .orderId;
    await settled(system, small, { status: 'COMPLETED', machineVersion: 2 });
    expect(await typesOf(system, small)).toEqual(['OrderPlaced', 'PaymentCaptured', 'StockReserved', 'ShipmentCreated']);
    await settled(system, fraudulent, { status: 'FAILED', failureReason: 'FRAUD_REJECTED' });
    expect(await typesOf(system, fraudulent)).toEqual(['OrderPlaced', 'PaymentCaptured', 'FraudScored', 'PaymentRefunded']);
    const ledger = await system.adapters.sql.query<{ operation: string; amount: string }>('select operation, amount from payment_ledger where order_id = $1 order by operation', [fraudulent]);
    expect(ledger.rows.map((row) => [row.operation, Number(row.amount)])).toEqual([
      ['CapturePayment', 150_000],
      ['RefundPayment', 150_000],
    ]);
  });

  it('waits for an operator on a doubtful score: an approval ships, a rejection or the deadline refunds (test clock)', async () => {
    const clock = testClock(START);
    const operator = testApiKey('operator');
    const viewer = testApiKey('viewer');
    const system = await start({ ...REVIEWED, ...apiKeysEnv(operator, viewer) }, { clock });
    const url = await system.listen(0);
    const review = (orderId: string, key: typeof operator, body: unknown) =>
      fetch(`${url}/orders/${orderId}/fraud-review`, { method: 'POST', headers: { ...key.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const doubtful = () => system.orders.placeOrder(placeOrderBody({ customerId: uniqueCustomerId(FRAUD_TEST_MARKERS.doubtful) })).then((placed) => placed.orderId);
    const [approved, rejected, forgotten] = [await doubtful(), await doubtful(), await doubtful()];
    for (const orderId of [approved, rejected, forgotten]) {
      await settled(system, orderId, { state: 'fraudReview.awaitingDecision', attention: { reason: 'FRAUD_REVIEW', since: expect.any(String), attempts: 1, lastError: 'scored doubtful (0.55)' } });
    }
    // Not a decision the saga takes elsewhere: a retry is refused while it waits for the review.
    expect(await system.operatorActions.signal({ streamId: approved, eventType: 'RetryRequested', data: { operator: 'ops-1', reason: 'x' } })).toMatchObject({ kind: 'refused' });
    const decide = (streamId: string, eventType: string) => system.operatorActions.signal({ streamId, eventType, data: { operator: 'ops-1', reason: 'checked the customer' } });
    // Over HTTP, as an operator: a viewer may not decide, and the decision names who made it.
    expect((await review(approved, viewer, { decision: 'approve', reason: 'known customer' })).status).toBe(403);
    expect((await review(approved, operator, { decision: 'maybe', reason: '' })).status).toBe(400);
    const answered = await review(approved, operator, { decision: 'approve', reason: 'known customer' });
    expect(answered.status).toBe(202);
    expect(await answered.json()).toMatchObject({ orderId: approved, state: 'inventory.reserving' });
    expect((await review(approved, operator, { decision: 'reject', reason: 'too late' })).status).toBe(409);
    const approval = (await system.orders.history(approved))!.find((event) => event.message.type === 'FraudReviewApproved')!;
    expect(approval.message.data).toEqual({ operator: operator.name, reason: 'known customer' });
    expect(await decide(rejected, 'FraudReviewRejected')).toMatchObject({ kind: 'applied' });
    await settled(system, approved, { status: 'COMPLETED', attention: null });
    await settled(system, rejected, { status: 'FAILED', failureReason: 'FRAUD_REJECTED', attention: null });
    expect(await typesOf(system, rejected)).toEqual(['OrderPlaced', 'PaymentCaptured', 'FraudScored', 'FraudReviewRejected', 'PaymentRefunded']);
    // Nobody decided: a day later the deadline rejects it.
    expect((await viewOf(system, forgotten))?.state).toBe('fraudReview.awaitingDecision');
    clock.advance(DAY_MS + 1000);
    await settled(system, forgotten, { status: 'FAILED', failureReason: 'FRAUD_REJECTED', attention: null });
    expect(await typesOf(system, forgotten)).toEqual(['OrderPlaced', 'PaymentCaptured', 'FraudScored', 'TimerFired', 'PaymentRefunded']);
  });
});
