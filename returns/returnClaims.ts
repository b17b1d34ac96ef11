import { XsagaError, type FieldError } from 'xsaga';
import type { ReturnRequest } from './returnContract.ts';

/** The returns of an order that were already requested: what each still claims depends on how it ended. */
export type ReturnedSoFar = readonly Readonly<{ status: string; items: readonly Readonly<{ sku: string; quantity: number }>[] }>[];

/** What a return needs of its order's view. */
type OrderLike = Readonly<{ status: string; customerId?: unknown; currency?: unknown; items?: unknown }> | undefined;

export type ReturnClaim = Readonly<{
  customerId: string;
  currency: string;
  items: readonly Readonly<{ sku: string; quantity: number; unitPrice: number }>[];
  refundAmount: number;
}>;

/** Returns that ended without taking anything back free their items for another return. */
const RELEASED = new Set(['REJECTED', 'EXPIRED', 'FAILED']);

/** The id of an order's n-th return: unique per order, so the event store serializes an order's returns. */
export const returnIdOf = (orderId: string, n: number): string => `${orderId}.return-${n}`;

/**
 * Whether items of an order may come back: the order is COMPLETED, every SKU was in it, and the
 * quantities do not exceed what was ordered less what other returns (not rejected, expired or
 * failed) already claim. Refused as a conflict naming each field at fault.
 */
export function claimReturn(args: { orderId: string; order: OrderLike; request: ReturnRequest; returnedSoFar: ReturnedSoFar }): ReturnClaim {
  const { orderId, order, request } = args;
  if (!order) throw new XsagaError('CONFLICT', `No order ${orderId}: only a completed order's items can be returned.`, { fieldErrors: [{ field: 'orderId', detail: 'names no order' }] });
  if (order.status !== 'COMPLETED') {
    throw new XsagaError('CONFLICT', `Order ${orderId} is ${order.status}, not COMPLETED: only a completed order's items can be returned.`, {
      fieldErrors: [{ field: 'orderId', detail: `is ${order.status}, not COMPLETED` }],
    });
  }
  const ordered = new Map<string, { quantity: number; unitPrice: number }>();
  for (const item of (order.items ?? []) as { sku: string; quantity: number; unitPrice: number }[]) {
    const seen = ordered.get(item.sku);
    ordered.set(item.sku, { quantity: (seen?.quantity ?? 0) + item.quantity, unitPrice: item.unitPrice });
  }
  const claimed = new Map<string, number>();
  for (const earlier of args.returnedSoFar) {
    if (RELEASED.has(earlier.status)) continue;
    for (const item of earlier.items) claimed.set(item.sku, (claimed.get(item.sku) ?? 0) + item.quantity);
  }
  const faults: FieldError[] = [];
  const items = request.items.map((item, i) => {
    const line = ordered.get(item.sku);
    if (!line) {
      faults.push({ field: `items[${i}].sku`, detail: `was not in order ${orderId}` });
      return { ...item, unitPrice: 0 };
    }
    const left = line.quantity - (claimed.get(item.sku) ?? 0);
    // A SKU listed twice claims both lines.
    claimed.set(item.sku, (claimed.get(item.sku) ?? 0) + item.quantity);
    if (item.quantity > left) faults.push({ field: `items[${i}].quantity`, detail: left > 0 ? `at most ${left} can still be returned` : 'all of them were already returned' });
    return { sku: item.sku, quantity: item.quantity, unitPrice: line.unitPrice };
  });
  if (faults.length > 0) throw new XsagaError('CONFLICT', `These items of order ${orderId} cannot be returned.`, { fieldErrors: faults });
  return {
    customerId: String(order.customerId),
    currency: String(order.currency),
    items,
    refundAmount: items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0),
  };
}
