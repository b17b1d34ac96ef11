import type { OrderItem, OrderSagaCommand } from '../machines/orderTypes.ts';
import type { SqlQueryable } from '../runtime/sqlClient.ts';
import { storeOutcome, type ParticipantSpec, type Performed } from './participant.ts';

/** A SKU that is always out of stock. */
export const SOLD_OUT_SKU = 'SKU-SOLDOUT';
/** SKUs of this shape start with ample stock the first time they are ordered. */
const STOCKED_SKU = /^SKU-\d+$/;
export const AMPLE_STOCK = 1_000_000;

type StockCommand = Extract<OrderSagaCommand, { type: 'ReserveStock' | 'ReleaseStock' }>['data'];

/** Sums quantities per SKU: an order may name a SKU twice. */
function quantitiesBySku(items: readonly OrderItem[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.sku, (totals.get(item.sku) ?? 0) + item.quantity);
  return totals;
}

async function seedStock(tx: SqlQueryable, skus: readonly string[]): Promise<void> {
  const seeded = skus.filter((sku) => STOCKED_SKU.test(sku) || sku === SOLD_OUT_SKU);
  if (seeded.length === 0) return;
  await tx.query(
    `insert into inventory_stock (sku, initial, available)
     select sku, q, q from unnest($1::text[], $2::int[]) as u(sku, q) on conflict (sku) do nothing`,
    [seeded, seeded.map((sku) => (sku === SOLD_OUT_SKU ? 0 : AMPLE_STOCK))],
  );
}

/** The inventory service: stock per SKU, and a reservation or release row per order. */
export function inventoryParticipant(commandTopic: string): ParticipantSpec {
  return {
    name: 'inventory',
    commandTopic,
    outcomeTable: 'inventory_reservations',
    transientFailure: (command) => ({
      type: command.type === 'ReleaseStock' ? 'StockReleaseFailed' : 'StockReservationFailed',
      data: { reason: 'INVENTORY_UNAVAILABLE', retryable: true },
    }),
    async perform(tx, command): Promise<Performed> {
      const { orderId, items } = command.data as StockCommand;
      const wanted = quantitiesBySku(items);
      const row = { order_id: orderId, operation: command.type, items: JSON.stringify(items) };
      if (command.type === 'ReserveStock') {
        const released = await tx.query(`select 1 from inventory_reservations where order_id = $1 and operation = 'ReleaseStock'`, [orderId]);
        if (released.rows.length > 0) {
          return storeOutcome(tx, 'inventory_reservations', row, { type: 'StockReservationFailed', data: { reason: 'RESERVATION_CANCELLED', retryable: false } });
        }
        const skus = [...wanted.keys()].sort();
        await seedStock(tx, skus);
        // Lock the rows in a fixed order so two reservations cannot deadlock.
        const stock = await tx.query<{ sku: string; available: number }>(
          'select sku, available from inventory_stock where sku = any($1::text[]) order by sku for update',
          [skus],
        );
        const available = new Map(stock.rows.map((r) => [r.sku, r.available]));
        if (skus.some((sku) => (available.get(sku) ?? 0) < wanted.get(sku)!)) {
          return storeOutcome(tx, 'inventory_reservations', row, { type: 'StockReservationFailed', data: { reason: 'OUT_OF_STOCK', retryable: false } });
        }
        await adjustStock(tx, wanted, -1);
        return storeOutcome(tx, 'inventory_reservations', row, { type: 'StockReserved', data: {} });
      }
      if (command.type === 'ReleaseStock') {
        const reserved = await tx.query<{ outcome: { type: string } }>(
          `select outcome from inventory_reservations where order_id = $1 and operation = 'ReserveStock'`,
          [orderId],
        );
        if (reserved.rows[0]?.outcome.type === 'StockReserved') await adjustStock(tx, wanted, +1);
        return storeOutcome(tx, 'inventory_reservations', row, { type: 'StockReleased', data: {} });
      }
      throw new Error(`inventory cannot handle ${command.type}`);
    },
  };
}

async function adjustStock(tx: SqlQueryable, quantities: ReadonlyMap<string, number>, sign: 1 | -1): Promise<void> {
  await tx.query(
    `update inventory_stock s set available = s.available + u.q from unnest($1::text[], $2::int[]) as u(sku, q) where s.sku = u.sku`,
    [[...quantities.keys()], [...quantities.values()].map((q) => sign * q)],
  );
}
