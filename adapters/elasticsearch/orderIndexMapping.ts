import type { estypes } from '@elastic/elasticsearch';
import type { OrderView } from '../../orders/orderView.ts';

/** What the orders index stores: the view plus the helper field that free-text search reads. */
export type OrderDocument = OrderView & { search_text: string[] };

/**
 * Settings of an orders index. One shard is plenty for one node and keeps sort and totals exact;
 * replicas would leave a single-node cluster yellow forever.
 */
export const orderIndexSettings = {
  number_of_shards: 1,
  number_of_replicas: 0,
  refresh_interval: '1s',
  // The query API accepts offset ≤ 10 000 with limit ≤ 500; the default window (10 000) would reject the last pages.
  max_result_window: 10_500,
} satisfies estypes.IndicesIndexSettings;

const keyword = { type: 'keyword' } as const;

/** `strict`: a field the mapping does not know is a bug in the projection, not something to guess a type for. */
export const orderIndexMappings = {
  dynamic: 'strict',
  properties: {
    orderId: keyword,
    customerId: keyword,
    status: keyword,
    state: keyword,
    failureReason: keyword,
    total: { type: 'long' },
    currency: keyword,
    // Nested, so that a query on one item's fields never matches across two items.
    items: { type: 'nested', properties: { sku: keyword, quantity: { type: 'long' }, unitPrice: { type: 'long' } } },
    // Kept in _source for `get`, never searched: no need to pay for indexing them.
    steps: { type: 'object', enabled: false },
    attempts: { type: 'object', enabled: false },
    attention: { properties: { reason: keyword, since: { type: 'date' }, attempts: { type: 'long' }, lastError: keyword } },
    version: { type: 'long' },
    placedAt: { type: 'date' },
    updatedAt: { type: 'date' },
    // Words for `match`; the lowercased whole values let a prefix of an id or SKU find it too.
    search_text: { type: 'text', analyzer: 'standard', fields: { raw: { type: 'keyword', normalizer: 'lowercase', ignore_above: 256 } } },
  },
} satisfies estypes.MappingTypeMapping;

/** The document written for a view. */
export function toOrderDocument(view: OrderView): OrderDocument {
  const words = [view.orderId, view.customerId, view.state, view.failureReason ?? '', ...view.items.map((item) => item.sku)];
  return { ...view, search_text: words.filter((word) => word !== '') };
}

/** The view of a stored document: exactly the OrderView fields, without helper fields. */
export function fromOrderDocument(document: OrderDocument): OrderView {
  const { search_text: _searchText, ...view } = document;
  return view;
}
