import type { ViewMappings } from '../runtime/viewStore.ts';

const keyword = { type: 'keyword' } as const;

/**
 * How the orders index maps an order's view (the store adds the search words). `strict`: a field
 * the mapping does not know is a bug in the projection, not something to guess a type for.
 */
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
    // A keyword, so that the dashboard counts orders per machine version like it counts them per state.
    machineVersion: keyword,
    placedAt: { type: 'date' },
    updatedAt: { type: 'date' },
  },
} as const satisfies ViewMappings;
