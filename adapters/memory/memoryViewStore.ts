import { groupByNested, searchWordsOf, valuesAt } from '../../runtime/viewFields.ts';
import { countableField, type SagaViewBase, type SagaViewSpec, type SagaViewStore, type StateStats, type ViewQuery, type ViewSearchResult } from '../../runtime/viewStore.ts';

function matches<TView extends SagaViewBase>(spec: SagaViewSpec<TView>, view: TView, query: ViewQuery): boolean {
  if (query.status !== undefined && view.status !== query.status) return false;
  if (query.state !== undefined && view.state !== query.state) return false;
  for (const [nested, filters] of groupByNested(spec.mappings, query.where ?? {})) {
    const holds = (within: unknown, prefix: string) => filters.every(([path, value]) => valuesAt(within, path.slice(prefix.length)).some((found) => found === value));
    // The fields of a nested item must hold in one item, as in an index.
    if (nested === undefined ? !holds(view, '') : !valuesAt(view, nested).some((item) => holds(item, `${nested}.`))) return false;
  }
  if (query.exists !== undefined && valuesAt(view, query.exists).length === 0) return false;
  if (query.missing !== undefined && valuesAt(view, query.missing).length > 0) return false;
  if (query.text !== undefined) {
    const haystack = searchWordsOf(view, spec.textFields).join(' ').toLowerCase();
    if (!haystack.includes(query.text.toLowerCase())) return false;
  }
  return true;
}

const byText = (a: unknown, b: unknown): number => String(a ?? '').localeCompare(String(b ?? ''));

/**
 * The embedded view store of one saga: documents in a map, newest version wins.
 *
 * @example
 * const orders = createMemoryViewStore(orderViewSpec);
 * await orders.search({ where: { customerId: 'alice' } });
 */
export function createMemoryViewStore<TView extends SagaViewBase>(spec: SagaViewSpec<TView>): SagaViewStore<TView> {
  const views = new Map<string, TView>();
  const field = (view: TView, name: string): unknown => (view as Record<string, unknown>)[name];
  return {
    async upsert(batch) {
      for (const { id, version, view } of batch) {
        const current = views.get(id);
        if (!current || current.version < version) views.set(id, view);
      }
    },
    async get(id) {
      return views.get(id);
    },
    async search(query): Promise<ViewSearchResult<TView>> {
      const found = [...views.values()].filter((view) => matches(spec, view, query));
      const byId = (a: TView, b: TView) => spec.idOf(a).localeCompare(spec.idOf(b));
      if (query.sort === 'oldestUpdate') found.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt) || byId(a, b));
      else found.sort((a, b) => byText(field(b, spec.newestField), field(a, spec.newestField)) || byId(a, b));
      const offset = query.offset ?? 0;
      return { total: found.length, items: found.slice(offset, offset + (query.limit ?? 20)) };
    },
    async countBy(counted) {
      countableField(spec, counted);
      const counts: Record<string, number> = {};
      for (const view of views.values()) {
        // Like a terms aggregation: a view without the field is not counted, each value of a list counts once, a number under its text.
        for (const value of new Set(valuesAt(view, counted).map(String))) counts[value] = (counts[value] ?? 0) + 1;
      }
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
    idOf: (view) => spec.idOf(view),
    async ping() {},
    async close() {
      views.clear();
    },
  };
}
