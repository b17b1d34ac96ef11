import type { OrderItem, OrderSagaCommand } from '../machines/orderTypes.ts';
import type { SqlQueryable } from '../runtime/sqlClient.ts';
import { commandChecks } from './commandSchemas.ts';
import { final, type ParticipantSpec, type Performed } from './participant.ts';

/** A SKU that is always out of stock. */
export const SOLD_OUT_SKU = 'SKU-SOLDOUT';
/**
 * A test trigger for a warehouse that refuses to take stock back for a while: a release of an
 * order holding `SKU-STUCK-<unix seconds>` fails transiently while the release command was issued
 * before that time (the saga's time, so a test clock moves it too). Such SKUs are stocked amply.
 */
const STUCK_SKU = /^SKU-STUCK-(\d{1,12})$/;

/** The time until which releases of these items are refused, if any item is stuck. */
function stuckUntil(items: readonly OrderItem[]): number | undefined {
  const times = items.flatMap((item) => {
    const match = STUCK_SKU.exec(item.sku);
    return match ? [Number(match[1]) * 1000] : [];
  });
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** SKUs of this shape start with ample stock the first time they are ordered. */
const STOCKED_SKU = /^SKU-(\d+|STUCK-\d{1,12})$/;
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
    handles: {
      ReserveStock: { done: ['StockReserved'], failed: ['StockReservationFailed'], check: commandChecks.ReserveStock },
      ReleaseStock: { done: ['StockReleased'], failed: ['StockReleaseFailed'], undoes: 'ReserveStock', check: commandChecks.ReleaseStock },
    },
    outcomeTable: 'inventory_reservations',
    outcomeColumns: { items: 'jsonb' },
    transientFailure: (command) => ({
      type: command.type === 'ReleaseStock' ? 'StockReleaseFailed' : 'StockReservationFailed',
      data: { reason: 'INVENTORY_UNAVAILABLE', retryable: true },
    }),
    async perform(tx, commands, earlier): Promise<Performed[]> {
      if (commands.length === 0) return [];
      const skus = [...new Set(commands.flatMap((c) => (c.data as StockCommand).items.map((item) => item.sku)))].sort();
      await seedStock(tx, skus);
      // Batches of different partitions run at once: each locks all its SKUs up front, in one order, so none can deadlock.
      const stock = await tx.query<{ sku: string; available: number }>('select sku, available from inventory_stock where sku = any($1::text[]) order by sku for update', [
        skus,
      ]);
      const available = new Map(stock.rows.map((row) => [row.sku, row.available]));
      const reserved = new Set(earlier.filter((r) => r.operation === 'ReserveStock' && r.outcome.type === 'StockReserved').map((r) => r.order_id));
      const released = new Set(earlier.filter((r) => r.operation === 'ReleaseStock').map((r) => r.order_id));
      const delta = new Map<string, number>();
      const move = (wanted: ReadonlyMap<string, number>, sign: 1 | -1) => {
        for (const [sku, quantity] of wanted) {
          available.set(sku, (available.get(sku) ?? 0) + sign * quantity);
          delta.set(sku, (delta.get(sku) ?? 0) + sign * quantity);
        }
      };

      const results = commands.map((command): Performed => {
        const { orderId, items } = command.data as StockCommand;
        const wanted = quantitiesBySku(items);
        const columns = { items: JSON.stringify(items) };
        if (command.type === 'ReserveStock') {
          if (released.has(orderId)) return final({ type: 'StockReservationFailed', data: { reason: 'RESERVATION_CANCELLED', retryable: false } }, columns);
          if ([...wanted].some(([sku, quantity]) => (available.get(sku) ?? 0) < quantity)) {
            return final({ type: 'StockReservationFailed', data: { reason: 'OUT_OF_STOCK', retryable: false } }, columns);
          }
          move(wanted, -1);
          reserved.add(orderId);
          return final({ type: 'StockReserved', data: {} }, columns);
        }
        if (command.type === 'ReleaseStock') {
          const until = stuckUntil(items);
          if (until !== undefined && Date.parse(command.metadata.occurredAt) < until) {
            return { kind: 'transient', reply: { type: 'StockReleaseFailed', data: { reason: 'WAREHOUSE_DOWN', retryable: true } } };
          }
          if (reserved.has(orderId) && !released.has(orderId)) move(wanted, +1);
          released.add(orderId);
          return final({ type: 'StockReleased', data: {} }, columns);
        }
        throw new Error(`inventory cannot handle ${command.type}`);
      });

      const changed = [...delta].filter(([, quantity]) => quantity !== 0);
      if (changed.length > 0) {
        await tx.query(
          `update inventory_stock s set available = s.available + u.q from unnest($1::text[], $2::int[]) as u(sku, q) where s.sku = u.sku`,
          [changed.map(([sku]) => sku), changed.map(([, quantity]) => quantity)],
        );
      }
      return results;
    },
  };
}
