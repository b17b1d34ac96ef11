import type { SagaDemo, SagaDemoContext } from 'xsaga';
import { readReturnFacts } from './returnFacts.ts';
import { checkReturnInvariants } from './returnInvariants.ts';
import type { ReturnView } from './returnView.ts';

type OrderLike = Readonly<{ orderId: string; items: readonly Readonly<{ sku: string; quantity: number }>[] }>;

const FINAL = new Set(['COMPLETED', 'REJECTED', 'EXPIRED', 'FAILED']);

/**
 * Returns of the demo's completed orders, driven the way people and carriers would: every fourth
 * return that needs approval is rejected, the others approved; every parcel arrives (the 14-day
 * expiry is the tests' to show, with a test clock). Then the returns' invariants, on the rows.
 */
async function runReturns(demo: SagaDemoContext) {
  const orders = demo.views('orderSaga');
  if (!orders) throw new Error('the returns demo needs the order saga hosted beside it');
  const completed = (await orders.search({ status: 'COMPLETED', limit: demo.count })).items as unknown as OrderLike[];
  const call = async (method: string, path: string, body?: unknown, headers: Readonly<Record<string, string>> = {}) => {
    const response = await fetch(`${demo.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  let decisions = 0;
  let next = 0;
  const ids: string[] = [];
  const refused: string[] = [];
  const drive = async () => {
    while (next < completed.length) {
      const index = next++;
      const order = completed[index]!;
      // The whole order back, or one piece of its first line: both kinds of return.
      const items = index % 2 === 0 ? order.items.map(({ sku, quantity }) => ({ sku, quantity })) : [{ sku: order.items[0]!.sku, quantity: 1 }];
      const requested = await call('POST', '/returns', { orderId: order.orderId, items, reason: 'demo' }, { 'idempotency-key': `demo-return-${order.orderId}` });
      if (requested.status !== 202) {
        refused.push(`${order.orderId}: ${requested.status} ${String(requested.body.detail)}`);
        continue;
      }
      const returnId = String(requested.body.returnId);
      ids.push(returnId);
      for (let parcelSent = false; Date.now() < demo.deadline; ) {
        const view = (await call('GET', `/returns/${encodeURIComponent(returnId)}`)).body as unknown as ReturnView;
        if (FINAL.has(view.status)) break;
        if (view.state === 'awaitingApproval') {
          const decision = decisions++ % 4 === 3 ? 'reject' : 'approve';
          await call('POST', `/returns/${encodeURIComponent(returnId)}/${decision}`, { reason: 'demo' }, demo.operatorHeaders);
        } else if (view.state === 'awaitingParcel' && !parcelSent) {
          parcelSent = (await call('POST', '/carrier/events', { returnId, type: 'PARCEL_RECEIVED' }, demo.operatorHeaders)).status === 202;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(demo.concurrency, completed.length)) }, drive));

  const views = (await Promise.all(ids.map(async (id) => (await call('GET', `/returns/${encodeURIComponent(id)}`)).body as unknown as ReturnView))).filter((view) => view.returnId);
  const report = checkReturnInvariants(await readReturnFacts(demo.sql, views));
  const byStatus = Object.entries(report.byStatus)
    .sort()
    .map(([status, n]) => `${status.toLowerCase()} ${n}`)
    .join(', ');
  const pending = views.filter((view) => !FINAL.has(view.status)).length;
  return {
    lines: [
      `${ids.length} returns of ${completed.length} completed orders: ${byStatus || 'none'}`,
      ...(refused.length > 0 ? [`${refused.length} refused: ${refused.slice(0, 3).join('; ')}`] : []),
      'invariants checked: refunds within each order’s capture, each return refunded and restocked as it ended, stock restored once per returned item',
    ],
    violations: [...report.violations, ...refused.map((line) => `refused: ${line}`)],
    pending,
  };
}

/** `npm run demo -- --orders 2000 --returns 300`. */
export const returnDemo: SagaDemo = { flag: 'returns', run: runReturns };
