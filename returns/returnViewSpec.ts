import type { SagaViewSpec, ViewMappings } from 'xsaga';
import { checkReturnView, type ReturnView } from './returnView.ts';

const keyword = { type: 'keyword' } as const;

/** How the returns' index maps a return's view: `strict`, as a field it does not know is a bug in the view. */
const returnIndexMappings = {
  dynamic: 'strict',
  properties: {
    returnId: keyword,
    orderId: keyword,
    customerId: keyword,
    status: keyword,
    state: keyword,
    reason: { type: 'text' },
    refund: { properties: { amount: { type: 'long' }, currency: keyword, refunded: { type: 'long' } } },
    items: { type: 'nested', properties: { sku: keyword, quantity: { type: 'long' }, unitPrice: { type: 'long' } } },
    rejectionReason: keyword,
    failureReason: keyword,
    version: { type: 'long' },
    requestedAt: { type: 'date' },
    updatedAt: { type: 'date' },
  },
} as const satisfies ViewMappings;

/** The returns' views: found by return, order and customer id, newest request first. */
export const returnViewSpec: SagaViewSpec<ReturnView> = {
  name: 'returns',
  check: checkReturnView,
  idOf: (view) => view.returnId,
  idField: 'returnId',
  mappings: returnIndexMappings,
  textFields: ['returnId', 'orderId', 'customerId', 'items.sku'],
  newestField: 'requestedAt',
};
