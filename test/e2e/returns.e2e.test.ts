import { afterAll, describe, expect, it } from 'vitest';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody } from '../support/orderRequests.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';
import { productionEnv } from '../support/productionEnv.ts';

type ReturnView = { returnId: string; status: string; state: string; refund: { amount: number; refunded: number } };

describe('the returns saga in production mode, on PostgreSQL, Kafka, Elasticsearch and Redis', () => {
  const processes: RunningProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('returns items of a completed order, with and without an approval, refuses what is already returned, and projects its views', { timeout: 300_000 }, async () => {
    const production = await productionEnv('returns');
    cleanups.push(production.dispose);
    const viewer = testApiKey('viewer');
    const operator = testApiKey('operator');
    // Above 20.00 a return waits for an operator.
    const env = { ...production.env, ...apiKeysEnv(viewer, operator), PORT: '0', XSAGA_RETURN_APPROVAL_ABOVE: '2000' };
    const system = await startNodeProcess(['app/main.ts', 'start'], { env, ready: /xsaga ready/, timeoutMs: 120_000 });
    processes.push(system);
    const url = system.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)![1]!;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const completedOrder = async () => {
      const { body } = await call('POST', '/orders', placeOrderBody());
      const orderId = String(body.orderId);
      await eventually(async () => expect((await call('GET', `/orders/${orderId}`)).body.status).toBe('COMPLETED'), { timeoutMs: 60_000 });
      return orderId;
    };
    const returnView = async (returnId: string) => (await call('GET', `/returns/${encodeURIComponent(returnId)}`)).body as unknown as ReturnView;
    const waitFor = (returnId: string, state: string) => eventually(async () => expect((await returnView(returnId)).state).toBe(state), { timeoutMs: 60_000 });
    const parcelArrives = async (returnId: string) => {
      await waitFor(returnId, 'awaitingParcel');
      expect((await call('POST', '/carrier/events', { returnId, type: 'PARCEL_RECEIVED' }, operator.headers)).status).toBe(202);
      await waitFor(returnId, 'completed');
    };

    const orderId = await completedOrder();
    // 4.99 back: no approval needed.
    const small = await call('POST', '/returns', { orderId, items: [{ sku: 'SKU-1002', quantity: 1 }], reason: 'wrong colour' });
    expect(small.status).toBe(202);
    const smallId = String(small.body.returnId);
    // 25.00 back: an operator approves it.
    const large = await call('POST', '/returns', { orderId, items: [{ sku: 'SKU-1001', quantity: 2 }], reason: 'too small' });
    expect(large.status).toBe(202);
    const largeId = String(large.body.returnId);
    await waitFor(largeId, 'awaitingApproval');
    expect((await call('POST', `/returns/${encodeURIComponent(largeId)}/approve`, { reason: 'regular customer' }, operator.headers)).status).toBe(202);
    await parcelArrives(smallId);
    await parcelArrives(largeId);
    expect((await returnView(smallId)).refund).toEqual({ amount: 499, currency: 'EUR', refunded: 499 });
    expect((await returnView(largeId)).refund).toEqual({ amount: 2500, currency: 'EUR', refunded: 2500 });

    const again = await call('POST', '/returns', { orderId, items: [{ sku: 'SKU-1001', quantity: 1 }], reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.errors).toEqual([{ field: 'items[0].quantity', detail: 'all of them were already returned' }]);

    // Two requests for the same items at once: the store lets one start, the other is checked against it.
    const raced = await completedOrder();
    const answers = await Promise.all([1, 2].map(() => call('POST', '/returns', { orderId: raced, items: [{ sku: 'SKU-1001', quantity: 2 }], reason: 'race' })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);

    // The projector wrote the returns' views into their own index, which the dashboard reads.
    await eventually(async () => {
      const { body } = await call('GET', '/machines/returnSaga/sagas?state=completed&limit=10', undefined, viewer.headers);
      expect((body.items as { returnId: string }[]).map((view) => view.returnId).sort()).toEqual([largeId, smallId].sort());
    }, { timeoutMs: 60_000 });
  });
});
