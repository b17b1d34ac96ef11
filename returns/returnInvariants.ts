import type { ReturnView } from './returnView.ts';

/** A row of `payment_ledger`: an order's capture or refund, or a return's refund or reversal (`return_order_id` names its order). */
export type LedgerRow = Readonly<{ order_id: string; operation: string; amount: number | string; return_order_id: string | null }>;

/** A row of `inventory_reservations` that moved stock back for a return: what a restock put back, or a reversal took away. */
export type RestockRow = Readonly<{ order_id: string; operation: string; items: readonly Readonly<{ sku: string; quantity: number }>[] }>;

export type ReturnFacts = Readonly<{
  ledger: readonly LedgerRow[];
  restocks: readonly RestockRow[];
  views: readonly Pick<ReturnView, 'returnId' | 'orderId' | 'status' | 'items' | 'refund'>[];
}>;

export const RETURN_INVARIANT_RULES = ['refund cap', 'refund', 'restock'] as const;
export type ReturnInvariantRule = (typeof RETURN_INVARIANT_RULES)[number];

export type ReturnInvariantReport = Readonly<{
  returns: number;
  byStatus: Readonly<Record<string, number>>;
  violations: readonly string[];
  violationsByRule: Readonly<Record<ReturnInvariantRule, readonly string[]>>;
}>;

const add = <K>(totals: Map<K, number>, key: K, amount: number) => totals.set(key, (totals.get(key) ?? 0) + amount);

/** Net refunded per return (its refund less its reversal), by return id. */
export function netRefundByReturn(ledger: readonly LedgerRow[]): Map<string, number> {
  const net = new Map<string, number>();
  for (const row of ledger) {
    if (row.operation === 'RefundReturn') add(net, row.order_id, Number(row.amount));
    if (row.operation === 'ReverseReturnRefund') add(net, row.order_id, -Number(row.amount));
  }
  return net;
}

/**
 * No order pays back more than it took: its own refund and the net refunds of its returns stay
 * within what it captured. One violation per order over its capture.
 */
export function refundsWithinCapture(ledger: readonly LedgerRow[]): string[] {
  const captured = new Map<string, number>();
  const refunded = new Map<string, number>();
  for (const row of ledger) {
    const amount = Number(row.amount);
    if (row.operation === 'CapturePayment') add(captured, row.order_id, amount);
    if (row.operation === 'RefundPayment') add(refunded, row.order_id, amount);
    if (row.operation === 'RefundReturn' && row.return_order_id !== null) add(refunded, row.return_order_id, amount);
    if (row.operation === 'ReverseReturnRefund' && row.return_order_id !== null) add(refunded, row.return_order_id, -amount);
  }
  return [...refunded]
    .filter(([order, amount]) => amount > (captured.get(order) ?? 0))
    .map(([order, amount]) => `order ${order}: refunded ${amount}, more than the ${captured.get(order) ?? 0} it captured`);
}

/** Net quantity put back per SKU by each return: its restock less its reversal. */
export function netRestockedByReturn(restocks: readonly RestockRow[]): Map<string, Map<string, number>> {
  const byReturn = new Map<string, Map<string, number>>();
  for (const row of restocks) {
    const sign = row.operation === 'RestockReturn' ? 1 : row.operation === 'ReverseReturnRestock' ? -1 : 0;
    if (sign === 0) continue;
    const skus = byReturn.get(row.order_id) ?? new Map<string, number>();
    byReturn.set(row.order_id, skus);
    for (const item of row.items) add(skus, item.sku, sign * item.quantity);
  }
  return byReturn;
}

/** Net quantity returns put back per SKU: what stock conservation of the orders must allow for. */
export function netRestockedBySku(restocks: readonly RestockRow[]): Map<string, number> {
  const bySku = new Map<string, number>();
  for (const skus of netRestockedByReturn(restocks).values()) for (const [sku, quantity] of skus) add(bySku, sku, quantity);
  return bySku;
}

/**
 * Stock restored exactly once per returned item: per SKU, what the finished returns put back equals
 * the quantities of the COMPLETED ones (a return still pending may hold a restock not yet undone,
 * so its rows are left out).
 */
export function restockedOncePerReturnedItem(restocks: readonly RestockRow[], views: ReturnFacts['views']): string[] {
  const pending = new Set(views.filter((v) => v.status === 'PENDING').map((v) => v.returnId));
  const restored = netRestockedBySku(restocks.filter((row) => !pending.has(row.order_id)));
  const returned = new Map<string, number>();
  for (const view of views) if (view.status === 'COMPLETED') for (const item of view.items) add(returned, item.sku, item.quantity);
  return [...new Set([...restored.keys(), ...returned.keys()])]
    .sort()
    .filter((sku) => (restored.get(sku) ?? 0) !== (returned.get(sku) ?? 0))
    .map((sku) => `stock of ${sku}: ${restored.get(sku) ?? 0} put back by returns, ${returned.get(sku) ?? 0} returned by completed ones`);
}

/** Each finished return paid back what it says: its refund amount when completed, nothing otherwise. */
export function refundedAsTheyEnded(ledger: readonly LedgerRow[], views: ReturnFacts['views']): string[] {
  const net = netRefundByReturn(ledger);
  return views
    .filter((view) => view.status !== 'PENDING')
    .flatMap((view) => {
      const paid = net.get(view.returnId) ?? 0;
      const expected = view.status === 'COMPLETED' ? view.refund.amount : 0;
      return paid === expected && view.refund.refunded === expected ? [] : [`return ${view.returnId}: ${view.status} with ${paid} refunded (view says ${view.refund.refunded}), expected ${expected}`];
    });
}

/**
 * The returns' invariants, from the participants' rows and the returns' views alone.
 *
 * @example
 * const report = checkReturnInvariants(await readReturnFacts(sql, views));
 */
export function checkReturnInvariants(facts: ReturnFacts): ReturnInvariantReport {
  const violationsByRule: Record<ReturnInvariantRule, readonly string[]> = {
    'refund cap': refundsWithinCapture(facts.ledger),
    refund: refundedAsTheyEnded(facts.ledger, facts.views),
    restock: restockedOncePerReturnedItem(facts.restocks, facts.views),
  };
  const byStatus: Record<string, number> = {};
  for (const view of facts.views) byStatus[view.status] = (byStatus[view.status] ?? 0) + 1;
  return { returns: facts.views.length, byStatus, violations: RETURN_INVARIANT_RULES.flatMap((rule) => violationsByRule[rule]), violationsByRule };
}
