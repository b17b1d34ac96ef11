import type { SagaViewStore, VersionedView as SagaVersionedView, ViewQuery, ViewSearchResult } from '../runtime/viewStore.ts';
import type { OrderStatus, OrderView } from './orderView.ts';

export { readModelUnavailable, type StateStats } from '../runtime/viewStore.ts';

export type OrderQuery = Readonly<{
  customerId?: string;
  status?: OrderStatus;
  state?: string;
  sku?: string;
  /** Free text over the order id, customer and SKUs. */
  text?: string;
  /** Only orders that wait for a human (`attention` set), listed oldest first: the longest wait is the most urgent. */
  attention?: boolean;
  limit?: number;
  offset?: number;
}>;

export type OrderSearchResult = ViewSearchResult<OrderView>;

/** An order's view document and the stream version it reflects. */
export type VersionedView = SagaVersionedView<OrderView>;

/**
 * The orders' view store, with the counts the order statistics show: every status named, none
 * left out for having no order yet.
 */
export interface OrderReadModel extends SagaViewStore<OrderView> {
  countByStatus(): Promise<Record<OrderStatus, number>>;
  countByState(): Promise<Record<string, number>>;
}

const STATUSES: readonly OrderStatus[] = ['PENDING', 'COMPLETED', 'FAILED'];

/** Per status, as `countBy('status')` finds them, with a zero for a status no order has. */
export async function countByStatus(views: SagaViewStore<OrderView>): Promise<Record<OrderStatus, number>> {
  const counts = await views.countBy('status');
  return Object.fromEntries(STATUSES.map((status) => [status, counts[status] ?? 0])) as Record<OrderStatus, number>;
}

/** An order search in the terms of any saga's views. */
export function orderViewQuery(query: OrderQuery): ViewQuery {
  const { customerId, sku, attention, ...common } = query;
  const where = { ...(customerId === undefined ? {} : { customerId }), ...(sku === undefined ? {} : { 'items.sku': sku }) };
  return {
    ...common,
    ...(Object.keys(where).length > 0 ? { where } : {}),
    ...(attention === true ? { exists: 'attention' } : attention === false ? { missing: 'attention' } : {}),
    // What needs a human, longest waiting first; otherwise newest first, as a person browsing orders expects.
    sort: attention === true ? 'oldestUpdate' : 'newest',
  };
}

/**
 * The order read model over the orders' view store. Each method calls `views` when it is called:
 * whoever replaces a method of `views` (a test double, a spy) sees this one use it.
 *
 * @example
 * const readModel = orderReadModel(createMemoryViewStore(orderViewSpec));
 * await readModel.countByStatus(); // { PENDING: 0, COMPLETED: 0, FAILED: 0 }
 */
export function orderReadModel(views: SagaViewStore<OrderView>): OrderReadModel {
  return {
    upsert: (batch) => views.upsert(batch),
    get: (orderId) => views.get(orderId),
    search: (query) => views.search(query),
    countBy: (field) => views.countBy(field),
    statsByState: () => views.statsByState(),
    idOf: (view) => views.idOf(view),
    ping: () => views.ping(),
    ...(views.rebuild ? { rebuild: (fill: (target: SagaViewStore<OrderView>) => Promise<void>) => views.rebuild!(fill) } : {}),
    close: () => views.close(),
    countByStatus: () => countByStatus(views),
    countByState: () => views.countBy('state'),
  };
}
