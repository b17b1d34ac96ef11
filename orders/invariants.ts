import type { OrderItem, StepAction, StepRecord } from '../machines/orderTypes.ts';
import { orderSaga } from '../machines/orderSaga.ts';
import type { SagaStore, StreamHead } from '../runtime/sagaStore.ts';
import type { SqlQueryable } from '../runtime/sqlClient.ts';
import type { OrderReadModel } from './orderReadModel.ts';
import type { OrderView } from './orderView.ts';

/** What the invariants of DESIGN.md section 5 found; `violations` is empty when all hold. */
export type InvariantReport = Readonly<{
  orders: number;
  completed: number;
  failedByReason: Readonly<Record<string, number>>;
  pending: number;
  violations: readonly string[];
  /** The same violations by the rule they break: every rule is named, with none when it held. */
  violationsByRule: Readonly<Record<InvariantRule, readonly string[]>>;
}>;

export const INVARIANT_RULES = ['terminal', 'money', 'stock', 'shipments', 'compensation order', 'read model version'] as const;
export type InvariantRule = (typeof INVARIANT_RULES)[number];

const UNDO: Partial<Record<StepAction, StepAction>> = { capture: 'refund', reserve: 'release' };

/** Each completed step is undone in reverse order; a payment voided after its deadline is undone without a capture. */
function expectedCompensations(steps: readonly StepRecord[], failureReason: string | null): StepAction[] {
  if (failureReason === 'PAYMENT_TIMEOUT') return ['refund'];
  const forward = steps.filter((s) => s.action === 'capture' || s.action === 'reserve' || s.action === 'ship');
  return forward
    .map((s) => UNDO[s.action])
    .filter((a): a is StepAction => a !== undefined)
    .reverse();
}

/** The orders' streams: other sagas the system hosts check their own invariants. */
async function orderStreams(store: SagaStore): Promise<StreamHead[]> {
  const heads: StreamHead[] = [];
  for (let page = await store.listStreams({ limit: 1000 }); page.length > 0; page = await store.listStreams({ afterStreamId: page.at(-1)!.streamId, limit: 1000 })) {
    heads.push(...page.filter((head) => head.machineId === orderSaga.id));
  }
  return heads;
}

/**
 * Checks, against the participants' own tables, the event store and the read model: every order is
 * terminal exactly once, a completed order was charged, reserved and shipped once, a failed one was
 * compensated in reverse order to a net of zero, stock is conserved, and the read model converged.
 */
export async function checkInvariants(deps: { sql: SqlQueryable; store: SagaStore; readModel: OrderReadModel }): Promise<InvariantReport> {
  const violations: string[] = [];
  const violationsByRule = Object.fromEntries(INVARIANT_RULES.map((rule): [InvariantRule, string[]] => [rule, []])) as Record<InvariantRule, string[]>;
  const violate = (rule: InvariantRule, detail: string) => {
    violations.push(detail);
    violationsByRule[rule].push(detail);
  };
  const heads = await orderStreams(deps.store);
  const ledger = await deps.sql.query<{ order_id: string; captured: string | number; net: string | number }>(
    `select order_id,
            sum(case when operation = 'CapturePayment' then amount else 0 end) as captured,
            sum(case when operation = 'CapturePayment' then amount else -amount end) as net
       from payment_ledger group by order_id`,
  );
  const money = new Map(ledger.rows.map((r) => [r.order_id, { captured: Number(r.captured), net: Number(r.net) }]));
  const reservations = await deps.sql.query<{ order_id: string; operation: string; outcome: { type: string }; items: OrderItem[] }>(
    'select order_id, operation, outcome, items from inventory_reservations',
  );
  const reserved = new Map<string, OrderItem[]>();
  const released = new Set<string>();
  for (const row of reservations.rows) {
    if (row.operation === 'ReserveStock' && row.outcome.type === 'StockReserved') reserved.set(row.order_id, row.items);
    if (row.operation === 'ReleaseStock') released.add(row.order_id);
  }
  const shipped = new Set(
    (await deps.sql.query<{ order_id: string }>('select order_id from shipping_shipments where shipment_id is not null')).rows.map((r) => r.order_id),
  );

  let completed = 0;
  let pending = 0;
  const failedByReason: Record<string, number> = {};
  const held = new Map<string, number>();
  for (const head of heads) {
    const id = head.streamId;
    const view: OrderView | undefined = await deps.readModel.get(id);
    const paid = money.get(id) ?? { captured: 0, net: 0 };
    const isReserved = reserved.has(id) && !released.has(id);
    if (isReserved) for (const item of reserved.get(id)!) held.set(item.sku, (held.get(item.sku) ?? 0) + item.quantity);
    if (!view) {
      violate('read model version', `${id}: missing from the read model`);
      continue;
    }
    if (view.version !== head.version) violate('read model version', `${id}: read model at version ${view.version}, event store at ${head.version}`);
    if (head.status !== 'done' || view.status === 'PENDING') {
      pending++;
      violate('terminal', `${id}: not terminal (state ${view.state})`);
      continue;
    }
    if (view.status === 'COMPLETED') {
      completed++;
      if (paid.captured !== view.total || paid.net !== view.total) violate('money', `${id}: completed but charged ${paid.net} of ${view.total}`);
      if (!isReserved) violate('stock', `${id}: completed without a standing reservation`);
      if (!shipped.has(id)) violate('shipments', `${id}: completed without a shipment`);
    } else {
      const reason = view.failureReason ?? 'UNKNOWN';
      failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
      if (paid.net !== 0) violate('money', `${id}: failed (${reason}) with a net charge of ${paid.net}`);
      if (isReserved) violate('stock', `${id}: failed (${reason}) with stock still reserved`);
      if (shipped.has(id)) violate('shipments', `${id}: failed (${reason}) but shipped`);
      const compensations = view.steps.filter((s) => s.action === 'refund' || s.action === 'release').map((s) => s.action);
      const expected = expectedCompensations(view.steps, view.failureReason);
      if (compensations.join() !== expected.join()) {
        violate('compensation order', `${id}: compensations [${compensations.join()}] are not the reverse of the completed steps [${expected.join()}]`);
      }
    }
  }

  const stock = await deps.sql.query<{ sku: string; initial: number; available: number }>('select sku, initial, available from inventory_stock');
  for (const row of stock.rows) {
    const consumed = row.initial - row.available;
    const expected = held.get(row.sku) ?? 0;
    if (consumed !== expected) violate('stock', `stock of ${row.sku}: ${consumed} taken but ${expected} held by orders`);
  }
  return { orders: heads.length, completed, failedByReason, pending, violations, violationsByRule };
}
