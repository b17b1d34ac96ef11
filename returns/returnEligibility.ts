import type { ReturnItem } from './returnTypes.ts';
import type { ReturnStatus } from './returnView.ts';

/** What a return needs to know of its order: the order's view as the order saga publishes it. */
export type OrderForReturn = Readonly<{ orderId: string; status: string; currency: string; items: readonly ReturnItem[] }>;

/** An earlier return of the same order. */
export type EarlierReturn = Readonly<{ status: ReturnStatus; items: readonly ReturnItem[] }>;

/** Why a return cannot be made: each becomes a 409 with this code. */
export type ReturnRefusal = 'ORDER_NOT_COMPLETED' | 'NOT_IN_ORDER' | 'ALREADY_RETURNED';

export type ReturnEligibility =
  | Readonly<{ eligible: true; items: readonly ReturnItem[]; refundAmount: number; currency: string }>
  | Readonly<{ eligible: false; code: ReturnRefusal; detail: string }>;

/** A return that was rejected, expired or failed gave its items back: they may be returned again. */
const holdsItems = (status: ReturnStatus) => status === 'PENDING' || status === 'COMPLETED';

const sumBySku = (items: readonly Readonly<{ sku: string; quantity: number }>[]) => {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.sku, (totals.get(item.sku) ?? 0) + item.quantity);
  return totals;
};

/**
 * Whether `wanted` can be returned from `order`: only from a COMPLETED order, only SKUs it holds,
 * and no more of each than it holds less what earlier returns (pending or completed) took. Each
 * unit is priced at the order's price for it, taking the order's lines in order after the units
 * earlier returns took: however many returns an order has, together they never pay back more than
 * the order cost.
 *
 * @example
 * returnEligibility(orderView, [{ sku: 'SKU-7', quantity: 1 }], earlierReturns) // { eligible: true, items: [{ sku: 'SKU-7', quantity: 1, unitPrice: 1250 }], refundAmount: 1250, currency: 'EUR' }
 */
export function returnEligibility(
  order: OrderForReturn,
  wanted: readonly Readonly<{ sku: string; quantity: number }>[],
  earlier: readonly EarlierReturn[],
): ReturnEligibility {
  if (order.status !== 'COMPLETED') return { eligible: false, code: 'ORDER_NOT_COMPLETED', detail: `order ${order.orderId} is ${order.status}, not COMPLETED` };
  const ordered = sumBySku(order.items);
  const taken = sumBySku(earlier.filter((r) => holdsItems(r.status)).flatMap((r) => r.items));
  const items: ReturnItem[] = [];
  for (const [sku, quantity] of sumBySku(wanted)) {
    const inOrder = ordered.get(sku) ?? 0;
    if (quantity > inOrder) return { eligible: false, code: 'NOT_IN_ORDER', detail: `order ${order.orderId} has ${inOrder} of ${sku}, not ${quantity}` };
    const left = inOrder - (taken.get(sku) ?? 0);
    if (quantity > left) return { eligible: false, code: 'ALREADY_RETURNED', detail: `${inOrder - left} of the ${inOrder} ${sku} of order ${order.orderId} are returned already` };
    // Skip the units earlier returns took, then price these at the lines that follow.
    let skip = taken.get(sku) ?? 0;
    let need = quantity;
    for (const line of order.items.filter((l) => l.sku === sku)) {
      const free = Math.max(0, line.quantity - skip);
      skip = Math.max(0, skip - line.quantity);
      const units = Math.min(free, need);
      if (units > 0) items.push({ sku, quantity: units, unitPrice: line.unitPrice });
      need -= units;
    }
  }
  return { eligible: true, items, refundAmount: items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0), currency: order.currency };
}
