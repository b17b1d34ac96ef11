import type { Redis } from 'ioredis';
import type pg from 'pg';
import { AMPLE_STOCK, SOLD_OUT_SKU } from '../../participants/inventory.ts';
import { TEST_TOKENS } from '../../participants/payment.ts';
import { UNDELIVERABLE_COUNTRY } from '../../participants/shipping.ts';
import type { OrderItem, ShippingAddress } from '../../machines/orderTypes.ts';
import type { Message } from '../../runtime/message.ts';

/**
 * The three participants written by hand on xsaga's participant tables, with the same SQL effects
 * and idempotency keys: per command a Redis GET (the fast guard) and, for a final outcome, a
 * `SET NX`; per batch one transaction whose reads also serve as the durable guard (the stored
 * outcome rows are among the rows each participant reads anyway), then one insert of outcomes.
 */
export type Reply = Readonly<{ type: string; data: unknown }>;

/** A final outcome is stored and replayed to duplicates; a transient one is answered but not stored. */
type Outcome = Readonly<{ reply: Reply; final: boolean; columns: readonly unknown[] }>;

/** A command's reply, and whether it is a final outcome performed now (the fast guard remembers those). */
type Answer = Readonly<{ reply: Reply; remember: boolean }>;

export type ParticipantHandler = (db: pg.Pool, commands: readonly Message[]) => Promise<Map<Message, Answer>>;

const FLAKY_FAILURES = 2;
const STOCKED_SKU = /^SKU-\d+$/;
const refusal = (reason: string, retryable = false) => ({ reason, retryable });
const orderIdOf = (c: Message) => (c.data as { orderId: string }).orderId;
const keyOf = (orderId: string, operation: string) => `${orderId}\u0000${operation}`;

async function transaction<T>(db: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const tx = await db.connect();
  try {
    await tx.query('begin');
    const result = await work(tx);
    await tx.query('commit');
    return result;
  } catch (error) {
    await tx.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}

/** Inserts the final outcomes with the table's own column; a duplicate performed meanwhile loses on the key and the batch comes again. */
async function storeOutcomes(tx: pg.PoolClient, table: string, column: string, type: string, rows: readonly { command: Message; outcome: Outcome }[]): Promise<void> {
  const finals = rows.filter((r) => r.outcome.final);
  if (finals.length === 0) return;
  await tx.query({
    name: `baseline_store_${table}`,
    text: `insert into ${table} (order_id, operation, outcome, ${column}) select o, op, r::jsonb, c from unnest($1::text[], $2::text[], $3::text[], $4::${type}[]) as u(o, op, r, c)`,
    values: [finals.map((f) => orderIdOf(f.command)), finals.map((f) => f.command.type), finals.map((f) => JSON.stringify(f.outcome.reply)), finals.map((f) => f.outcome.columns[0] ?? null)],
  });
}

const payment: ParticipantHandler = (db, commands) =>
  transaction(db, async (tx) => {
    const ledger = await tx.query<{ order_id: string; operation: string; amount: string; outcome: Reply }>({
      name: 'baseline_ledger',
      text: 'select order_id, operation, amount, outcome from payment_ledger where order_id = any($1::text[])',
      values: [[...new Set(commands.map(orderIdOf))]],
    });
    const stored = new Map(ledger.rows.map((r) => [keyOf(r.order_id, r.operation), r.outcome]));
    const captured = new Map(ledger.rows.filter((r) => r.operation === 'CapturePayment').map((r) => [r.order_id, Number(r.amount)]));
    const refunded = new Set(ledger.rows.filter((r) => r.operation === 'RefundPayment').map((r) => r.order_id));
    const replies = new Map<Message, Answer>();
    const performed: { command: Message; outcome: Outcome }[] = [];
    for (const command of commands) {
      const data = command.data as { orderId: string; amount: number; paymentToken?: string; attempt: number };
      const known = stored.get(keyOf(data.orderId, command.type));
      if (known) {
        replies.set(command, { reply: known, remember: false });
        continue;
      }
      let outcome: Outcome | undefined;
      if (command.type === 'CapturePayment') {
        if (data.paymentToken === TEST_TOKENS.noAnswer) continue;
        if (data.paymentToken === TEST_TOKENS.flaky && data.attempt <= FLAKY_FAILURES) outcome = { reply: { type: 'PaymentFailed', data: refusal('PAYMENT_PROVIDER_UNAVAILABLE', true) }, final: false, columns: [] };
        else if (refunded.has(data.orderId)) outcome = { reply: { type: 'PaymentFailed', data: refusal('PAYMENT_VOIDED') }, final: true, columns: [0] };
        else if (data.paymentToken === TEST_TOKENS.declined) outcome = { reply: { type: 'PaymentFailed', data: refusal('PAYMENT_DECLINED') }, final: true, columns: [0] };
        else {
          captured.set(data.orderId, data.amount);
          outcome = { reply: { type: 'PaymentCaptured', data: { amount: data.amount } }, final: true, columns: [data.amount] };
        }
      } else {
        const amount = captured.get(data.orderId) ?? 0;
        refunded.add(data.orderId);
        outcome = { reply: { type: 'PaymentRefunded', data: { amount } }, final: true, columns: [amount] };
      }
      if (outcome.final) stored.set(keyOf(data.orderId, command.type), outcome.reply);
      replies.set(command, { reply: outcome.reply, remember: outcome.final });
      performed.push({ command, outcome });
    }
    await storeOutcomes(tx, 'payment_ledger', 'amount', 'bigint', performed);
    return replies;
  });

function quantities(items: readonly OrderItem[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.sku, (totals.get(item.sku) ?? 0) + item.quantity);
  return totals;
}

const inventory: ParticipantHandler = (db, commands) =>
  transaction(db, async (tx) => {
    const skus = [...new Set(commands.flatMap((c) => (c.data as { items: OrderItem[] }).items.map((i) => i.sku)))].sort();
    const seeded = skus.filter((sku) => STOCKED_SKU.test(sku) || sku === SOLD_OUT_SKU);
    if (seeded.length > 0) {
      await tx.query({
        name: 'baseline_seed',
        text: 'insert into inventory_stock (sku, initial, available) select sku, q, q from unnest($1::text[], $2::int[]) as u(sku, q) on conflict (sku) do nothing',
        values: [seeded, seeded.map((sku) => (sku === SOLD_OUT_SKU ? 0 : AMPLE_STOCK))],
      });
    }
    // Every batch locks its SKUs in one order, so that two batches never deadlock.
    const stock = await tx.query<{ sku: string; available: number }>({
      name: 'baseline_lock',
      text: 'select sku, available from inventory_stock where sku = any($1::text[]) order by sku for update',
      values: [skus],
    });
    const available = new Map(stock.rows.map((r) => [r.sku, r.available]));
    const earlier = await tx.query<{ order_id: string; operation: string; outcome: Reply }>({
      name: 'baseline_reservations',
      text: 'select order_id, operation, outcome from inventory_reservations where order_id = any($1::text[])',
      values: [[...new Set(commands.map(orderIdOf))]],
    });
    const stored = new Map(earlier.rows.map((r) => [keyOf(r.order_id, r.operation), r.outcome]));
    const reserved = new Set(earlier.rows.filter((r) => r.operation === 'ReserveStock' && r.outcome.type === 'StockReserved').map((r) => r.order_id));
    const released = new Set(earlier.rows.filter((r) => r.operation === 'ReleaseStock').map((r) => r.order_id));
    const delta = new Map<string, number>();
    const move = (wanted: ReadonlyMap<string, number>, sign: 1 | -1) => {
      for (const [sku, q] of wanted) {
        available.set(sku, (available.get(sku) ?? 0) + sign * q);
        delta.set(sku, (delta.get(sku) ?? 0) + sign * q);
      }
    };
    const replies = new Map<Message, Answer>();
    const performed: { command: Message; outcome: Outcome }[] = [];
    for (const command of commands) {
      const { orderId, items } = command.data as { orderId: string; items: OrderItem[] };
      const known = stored.get(keyOf(orderId, command.type));
      if (known) {
        replies.set(command, { reply: known, remember: false });
        continue;
      }
      const wanted = quantities(items);
      let reply: Reply;
      if (command.type === 'ReserveStock') {
        if (released.has(orderId)) reply = { type: 'StockReservationFailed', data: refusal('RESERVATION_CANCELLED') };
        else if ([...wanted].some(([sku, q]) => (available.get(sku) ?? 0) < q)) reply = { type: 'StockReservationFailed', data: refusal('OUT_OF_STOCK') };
        else {
          move(wanted, -1);
          reserved.add(orderId);
          reply = { type: 'StockReserved', data: {} };
        }
      } else {
        if (reserved.has(orderId) && !released.has(orderId)) move(wanted, +1);
        released.add(orderId);
        reply = { type: 'StockReleased', data: {} };
      }
      stored.set(keyOf(orderId, command.type), reply);
      replies.set(command, { reply, remember: true });
      performed.push({ command, outcome: { reply, final: true, columns: [JSON.stringify(items)] } });
    }
    const changed = [...delta].filter(([, q]) => q !== 0);
    if (changed.length > 0) {
      await tx.query({
        name: 'baseline_stock',
        text: 'update inventory_stock s set available = s.available + u.q from unnest($1::text[], $2::int[]) as u(sku, q) where s.sku = u.sku',
        values: [changed.map(([sku]) => sku), changed.map(([, q]) => q)],
      });
    }
    await storeOutcomes(tx, 'inventory_reservations', 'items', 'jsonb', performed);
    return replies;
  });

const shipping: ParticipantHandler = (db, commands) =>
  transaction(db, async (tx) => {
    const earlier = await tx.query<{ order_id: string; operation: string; outcome: Reply }>({
      name: 'baseline_shipments',
      text: 'select order_id, operation, outcome from shipping_shipments where order_id = any($1::text[])',
      values: [[...new Set(commands.map(orderIdOf))]],
    });
    const stored = new Map(earlier.rows.map((r) => [keyOf(r.order_id, r.operation), r.outcome]));
    const replies = new Map<Message, Answer>();
    const performed: { command: Message; outcome: Outcome }[] = [];
    for (const command of commands) {
      const { orderId, address } = command.data as { orderId: string; address: ShippingAddress };
      const known = stored.get(keyOf(orderId, command.type));
      if (known) {
        replies.set(command, { reply: known, remember: false });
        continue;
      }
      const outcome: Outcome =
        address.country === UNDELIVERABLE_COUNTRY
          ? { reply: { type: 'ShipmentFailed', data: refusal('UNDELIVERABLE') }, final: true, columns: [null] }
          : { reply: { type: 'ShipmentCreated', data: { shipmentId: `shp-${orderId}` } }, final: true, columns: [`shp-${orderId}`] };
      stored.set(keyOf(orderId, command.type), outcome.reply);
      replies.set(command, { reply: outcome.reply, remember: true });
      performed.push({ command, outcome });
    }
    await storeOutcomes(tx, 'shipping_shipments', 'shipment_id', 'text', performed);
    return replies;
  });

export const PARTICIPANTS = { payment, inventory, shipping } as const;

/**
 * A participant's batch: the replies Redis remembers, the rest performed in one transaction,
 * the final outcomes remembered in Redis (`SET NX`, as xsaga's guard does); replies in command order.
 */
export async function answerCommands(name: keyof typeof PARTICIPANTS, deps: { db: pg.Pool; redis: Redis; keyPrefix: string }, commands: readonly Message[]): Promise<{ command: Message; reply: Reply }[]> {
  const guardKey = (c: Message) => `${deps.keyPrefix}${name}:${orderIdOf(c)}:${c.type}`;
  const remembered = await Promise.all(commands.map((c) => deps.redis.get(guardKey(c))));
  const toPerform = commands.filter((_, i) => remembered[i] === null);
  const performed = toPerform.length > 0 ? await PARTICIPANTS[name](deps.db, toPerform) : new Map<Message, Answer>();
  // Only final outcomes performed now are remembered: a transient failure must be performed for real next time.
  const finals = [...performed].filter(([, answer]) => answer.remember);
  await Promise.all(finals.map(([command, { reply }]) => deps.redis.set(guardKey(command), JSON.stringify(reply), 'PX', 86_400_000, 'NX')));
  return commands.flatMap((command, i) => {
    const reply = remembered[i] !== null ? (JSON.parse(remembered[i]!) as Reply) : performed.get(command)?.reply;
    return reply ? [{ command, reply }] : [];
  });
}
