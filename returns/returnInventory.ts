import { returnCommandChecks } from './returnCommands.ts';
import { returnOfCommand } from './returnParticipantKeys.ts';
import type { ReturnItem } from './returnTypes.ts';
import { final, participantCommands, type Performed, type SqlQueryable } from 'xsaga';

/** Sums quantities per SKU: a return may name a SKU twice. */
function quantitiesBySku(items: readonly ReturnItem[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.sku, (totals.get(item.sku) ?? 0) + item.quantity);
  return totals;
}

/**
 * Locks the SKUs' stock rows in one order, creating missing ones empty. A batch that also holds the
 * order saga's commands locks their SKUs first, in a statement of its own: two such batches may
 * deadlock, and PostgreSQL then fails one, which the bus delivers again. Rare, and it heals.
 */
async function lockStock(tx: SqlQueryable, skus: readonly string[]): Promise<Map<string, number>> {
  await tx.query(`insert into inventory_stock (sku, initial, available) select sku, 0, 0 from unnest($1::text[]) as u(sku) on conflict (sku) do nothing`, [skus]);
  const stock = await tx.query<{ sku: string; available: number }>('select sku, available from inventory_stock where sku = any($1::text[]) order by sku for update', [skus]);
  return new Map(stock.rows.map((row) => [row.sku, row.available]));
}

/**
 * The inventory participant's part in returns: a restock puts the returned items back on the shelf
 * (the stock that `ReleaseStock` releases into), once per return, as its outcome row guarantees. A
 * reversal takes back what the restock put, and voids a restock that would arrive after it. The
 * `items` column holds what each row moved, so that stock can be reconciled from the rows alone.
 */
export const returnInventoryCommands = participantCommands({
  participant: 'inventory',
  handles: {
    RestockReturn: { done: ['ReturnRestocked'], failed: ['ReturnRestockFailed'], check: returnCommandChecks.RestockReturn },
    ReverseReturnRestock: { done: ['ReturnRestockReversed'], failed: ['ReturnRestockReversalFailed'], undoes: 'RestockReturn', check: returnCommandChecks.ReverseReturnRestock },
  },
  subjectOf: returnOfCommand,
  transientFailure: (command) => ({
    type: command.type === 'ReverseReturnRestock' ? 'ReturnRestockReversalFailed' : 'ReturnRestockFailed',
    data: { reason: 'INVENTORY_UNAVAILABLE', retryable: true },
  }),
  async perform(tx, commands, earlier): Promise<Performed[]> {
    if (commands.length === 0) return [];
    const itemsOf = (command: (typeof commands)[number]) => (command.data as { items: readonly ReturnItem[] }).items;
    const available = await lockStock(tx, [...new Set(commands.flatMap((c) => itemsOf(c).map((item) => item.sku)))].sort());
    const restocked = new Map(earlier.filter((r) => r.operation === 'RestockReturn').map((r) => [r.order_id, r.items as ReturnItem[]]));
    const reversed = new Set(earlier.filter((r) => r.operation === 'ReverseReturnRestock').map((r) => r.order_id));
    const delta = new Map<string, number>();
    const move = (items: readonly ReturnItem[], sign: 1 | -1) => {
      for (const [sku, quantity] of quantitiesBySku(items)) {
        available.set(sku, (available.get(sku) ?? 0) + sign * quantity);
        delta.set(sku, (delta.get(sku) ?? 0) + sign * quantity);
      }
    };

    const results = commands.map((command): Performed => {
      const returnId = returnOfCommand(command);
      if (command.type === 'RestockReturn') {
        if (reversed.has(returnId)) return final({ type: 'ReturnRestockFailed', data: { reason: 'RESTOCK_VOIDED', retryable: false } }, { items: '[]' });
        const items = itemsOf(command);
        move(items, +1);
        restocked.set(returnId, [...items]);
        return final({ type: 'ReturnRestocked', data: {} }, { items: JSON.stringify(items) });
      }
      if (command.type === 'ReverseReturnRestock') {
        const items = restocked.get(returnId) ?? [];
        // The returned goods were sold again meanwhile: retried, and parked for a human if it lasts.
        if ([...quantitiesBySku(items)].some(([sku, quantity]) => (available.get(sku) ?? 0) < quantity)) {
          return { kind: 'transient', reply: { type: 'ReturnRestockReversalFailed', data: { reason: 'RESTOCKED_GOODS_SOLD', retryable: true } } };
        }
        move(items, -1);
        reversed.add(returnId);
        return final({ type: 'ReturnRestockReversed', data: {} }, { items: JSON.stringify(items) });
      }
      throw new Error(`inventory cannot handle ${command.type} for a return`);
    });

    const changed = [...delta].filter(([, quantity]) => quantity !== 0);
    if (changed.length > 0) {
      await tx.query(`update inventory_stock s set available = s.available + u.q from unnest($1::text[], $2::int[]) as u(sku, q) where s.sku = u.sku`, [
        changed.map(([sku]) => sku),
        changed.map(([, quantity]) => quantity),
      ]);
    }
    return results;
  },
});
