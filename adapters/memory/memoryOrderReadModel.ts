import type { OrderQuery, OrderReadModel, OrderSearchResult, StateStats, VersionedView } from '../../orders/orderReadModel.ts';
import type { OrderStatus, OrderView } from '../../orders/orderView.ts';

const matches = (view: OrderView, query: OrderQuery): boolean => {
  if (query.customerId !== undefined && view.customerId !== query.customerId) return false;
  if (query.status !== undefined && view.status !== query.status) return false;
  if (query.state !== undefined && view.state !== query.state) return false;
  if (query.sku !== undefined && !view.items.some((item) => item.sku === query.sku)) return false;
  if (query.attention !== undefined && (view.attention !== null) !== query.attention) return false;
  if (query.text !== undefined) {
    const needle = query.text.toLowerCase();
    const haystack = [view.orderId, view.customerId, view.state, view.failureReason ?? '', ...view.items.map((i) => i.sku)].join(' ').toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
};

/** The embedded read model: documents in a map, newest version wins. */
export function createMemoryOrderReadModel(): OrderReadModel {
  const views = new Map<string, OrderView>();
  return {
    async upsert(batch: readonly VersionedView[]) {
      for (const { id, version, view } of batch) {
        const current = views.get(id);
        if (!current || current.version < version) views.set(id, view);
      }
    },
    async get(orderId) {
      return views.get(orderId);
    },
    async search(query): Promise<OrderSearchResult> {
      const found = [...views.values()].filter((view) => matches(view, query));
      // Newest first, as a person browsing orders expects; what needs a human, longest waiting first.
      if (query.attention) found.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt) || a.orderId.localeCompare(b.orderId));
      else found.sort((a, b) => b.placedAt.localeCompare(a.placedAt) || a.orderId.localeCompare(b.orderId));
      const offset = query.offset ?? 0;
      return { total: found.length, items: found.slice(offset, offset + (query.limit ?? 20)) };
    },
    async countByStatus() {
      const counts: Record<OrderStatus, number> = { PENDING: 0, COMPLETED: 0, FAILED: 0 };
      for (const view of views.values()) counts[view.status]++;
      return counts;
    },
    async countByState() {
      const counts: Record<string, number> = {};
      for (const view of views.values()) counts[view.state] = (counts[view.state] ?? 0) + 1;
      return counts;
    },
    async statsByState() {
      const stats = new Map<string, { count: number; oldest: number }>();
      for (const view of views.values()) {
        const at = Date.parse(view.updatedAt);
        const seen = stats.get(view.state);
        if (!seen) stats.set(view.state, { count: 1, oldest: at });
        else {
          seen.count++;
          seen.oldest = Math.min(seen.oldest, at);
        }
      }
      return [...stats.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([state, { count, oldest }]): StateStats => ({ state, count, oldestUpdatedAt: new Date(oldest).toISOString() }));
    },
    async ping() {},
    async close() {
      views.clear();
    },
  };
}
