import type { TestApiKey } from './apiKeys.ts';
import { placeOrderBody, shippingAddress } from './orderRequests.ts';

/** One request: an operation of the document, what fills its path, and what it sends. */
export type Call = Readonly<{
  name: string;
  operationId: string;
  params?: Readonly<Record<string, string>>;
  /** As written after `?`: a name may come twice. */
  query?: string;
  headers?: Readonly<Record<string, string>>;
  /** JSON unless `raw`. */
  body?: unknown;
  raw?: Readonly<{ body: string; contentType: string }>;
  /** Who calls: by default a key of the role the operation needs, none for an open one. */
  as?: TestApiKey | 'nobody';
  status: number;
}>;

const item = { sku: 'SKU-1001', quantity: 1, unitPrice: 100 };

/**
 * Good and bad requests of every operation of the OpenAPI document, by `operationId`, in an order
 * that leaves each saga in the state the next needs; `known` names the sagas the contract test made.
 */
export const contractCalls = (known: Readonly<Record<string, string>>, viewer: TestApiKey): readonly Call[] => [
  { name: 'place an order', operationId: 'placeOrder', body: placeOrderBody(), status: 202 },
  { name: 'place an order with an Idempotency-Key', operationId: 'placeOrder', headers: { 'Idempotency-Key': 'contract-key' }, body: placeOrderBody({ customerId: 'c-key' }), status: 202 },
  { name: 'the same key, another body', operationId: 'placeOrder', headers: { 'Idempotency-Key': 'contract-key' }, body: placeOrderBody({ customerId: 'c-other' }), status: 422 },
  { name: 'a key with a space', operationId: 'placeOrder', headers: { 'Idempotency-Key': 'a b' }, body: placeOrderBody(), status: 400 },
  { name: 'fields at fault', operationId: 'placeOrder', body: { ...placeOrderBody(), items: [{ ...item, quantity: 0, qty: 1 }], shippingAddress: shippingAddress({ country: 'Germany' }) }, status: 400 },
  { name: 'not JSON', operationId: 'placeOrder', raw: { body: '{"customerId":', contentType: 'application/json' }, status: 400 },
  { name: 'text/plain', operationId: 'placeOrder', raw: { body: JSON.stringify(placeOrderBody()), contentType: 'text/plain' }, status: 415 },
  { name: 'over 64 kB', operationId: 'placeOrder', body: { ...placeOrderBody(), customerId: 'x'.repeat(70_000) }, status: 413 },

  { name: 'read an order', operationId: 'getOrder', params: { id: known.completed! }, status: 200 },
  { name: 'read an order at a version it has', operationId: 'getOrder', params: { id: known.completed! }, query: 'minVersion=1', status: 200 },
  { name: 'a version past the order', operationId: 'getOrder', params: { id: known.completed! }, query: 'minVersion=99', status: 409 },
  { name: 'minVersion given twice', operationId: 'getOrder', params: { id: known.completed! }, query: 'minVersion=1&minVersion=2', status: 400 },
  { name: 'an id with a NUL', operationId: 'getOrder', params: { id: 'a%00b' }, status: 400 },
  { name: 'no such order', operationId: 'getOrder', params: { id: 'no-such-order' }, status: 404 },
  { name: 'search', operationId: 'searchOrders', query: 'status=COMPLETED&limit=5', status: 200 },
  { name: 'search by a status there is not', operationId: 'searchOrders', query: 'status=DONE&limit=1e1', status: 400 },
  { name: 'history', operationId: 'getOrderHistory', params: { id: known.completed! }, status: 200 },
  { name: 'history of no order', operationId: 'getOrderHistory', params: { id: 'no-such-order' }, status: 404 },
  { name: 'history of an id with a control character', operationId: 'getOrderHistory', params: { id: '%01' }, status: 400 },
  { name: 'stats', operationId: 'getOrderStats', status: 200 },
  { name: 'metrics', operationId: 'getMetrics', status: 200 },

  { name: 'sagas that need a human', operationId: 'listSagas', query: 'attention=true', status: 200 },
  { name: 'sagas in a state', operationId: 'listSagas', query: 'machine=orderSaga&state=completed&limit=2', status: 200 },
  { name: 'sagas of no such machine', operationId: 'listSagas', query: 'machine=nope&attention=maybe', status: 400 },
  { name: 'retry a saga backing off', operationId: 'retrySaga', params: { id: known.backingOff! }, body: { reason: 'the warehouse is back' }, status: 202 },
  { name: 'retry a completed saga', operationId: 'retrySaga', params: { id: known.completed! }, body: {}, status: 409 },
  { name: 'retry with a version of nothing', operationId: 'retrySaga', params: { id: known.completed! }, body: { expectedVersion: 0 }, status: 400 },
  { name: 'retry no saga', operationId: 'retrySaga', params: { id: 'no-such-saga' }, status: 404 },
  { name: 'resume a parked saga', operationId: 'resumeSaga', params: { id: known.parked! }, body: { reason: 'try again', expectedVersion: 1 }, status: 409 },
  { name: 'resume a parked saga at its version', operationId: 'resumeSaga', params: { id: known.parked! }, body: { reason: 'try again' }, status: 202 },
  { name: 'resume a saga that is not parked', operationId: 'resumeSaga', params: { id: known.completed! }, status: 409 },
  { name: 'resume no saga', operationId: 'resumeSaga', params: { id: 'no-such-saga' }, status: 404 },
  { name: 'decide a fraud review a viewer may not', operationId: 'decideFraudReview', params: { id: known.reviewing! }, body: { decision: 'approve', reason: 'known' }, as: viewer, status: 403 },
  { name: 'decide a fraud review without a decision', operationId: 'decideFraudReview', params: { id: known.reviewing! }, body: { reason: 'known' }, status: 400 },
  { name: 'approve an order waiting for its fraud review', operationId: 'decideFraudReview', params: { id: known.reviewing! }, body: { decision: 'approve', reason: 'known customer' }, status: 202 },
  { name: 'decide a fraud review of a completed order', operationId: 'decideFraudReview', params: { id: known.completed! }, body: { decision: 'reject', reason: 'late' }, status: 409 },
  { name: 'decide a fraud review of no order', operationId: 'decideFraudReview', params: { id: 'no-such-order' }, body: { decision: 'reject', reason: 'x' }, status: 404 },
  { name: 'cancel without a reason', operationId: 'cancelSaga', params: { id: known.waiting! }, body: {}, status: 400 },
  { name: 'cancel a viewer may not', operationId: 'cancelSaga', params: { id: known.waiting! }, body: { reason: 'customer called' }, as: viewer, status: 403 },
  { name: 'cancel a saga waiting for its payment', operationId: 'cancelSaga', params: { id: known.waiting! }, body: { reason: 'customer called' }, status: 202 },
  { name: 'count a bulk retry', operationId: 'retrySagas', query: 'dryRun=true', body: { filter: { state: 'compensating.releasingStock.backingOff' } }, status: 200 },
  { name: 'a bulk retry of every saga', operationId: 'retrySagas', body: { reason: 'all' }, status: 400 },
  { name: 'resume the sagas that need a human', operationId: 'resumeSagas', body: { filter: { attention: true }, reason: 'fixed' }, status: 200 },
  { name: 'count a bulk cancel', operationId: 'cancelSagas', query: 'dryRun=yes', body: { filter: { state: 'payment.capturing' }, reason: 'x' }, status: 400 },
  { name: 'count a bulk cancel, with a good dryRun', operationId: 'cancelSagas', query: 'dryRun=true', body: { filter: { state: 'payment.capturing' }, reason: 'x' }, status: 200 },
  { name: 'dead letters', operationId: 'listDeadLetters', query: `streamId=${known.poisoned}&unreplayed=true`, status: 200 },
  { name: 'dead letters, none', operationId: 'listDeadLetters', query: 'limit=0', status: 400 },
  { name: 'replay a dead letter', operationId: 'replayDeadLetter', params: { id: encodeURIComponent(known.deadLetter!) }, status: 202 },
  { name: 'replay it again', operationId: 'replayDeadLetter', params: { id: encodeURIComponent(known.deadLetter!) }, status: 409 },
  { name: 'replay no dead letter', operationId: 'replayDeadLetter', params: { id: 'nope' }, status: 404 },

  { name: 'machines', operationId: 'listMachines', status: 200 },
  { name: 'a machine', operationId: 'getMachine', params: { id: 'orderSaga' }, status: 200 },
  { name: 'a machine at a version written as 1e0', operationId: 'getMachine', params: { id: 'orderSaga' }, query: 'version=1e0', status: 400 },
  { name: 'no such machine', operationId: 'getMachine', params: { id: 'nope' }, status: 404 },
  { name: 'a layout', operationId: 'getMachineLayout', params: { id: 'orderSaga' }, status: 200 },
  { name: 'a layout of a version there is not', operationId: 'getMachineLayout', params: { id: 'orderSaga' }, query: 'version=9', status: 404 },
  { name: 'machine stats', operationId: 'getMachineStats', params: { id: 'orderSaga' }, status: 200 },
  { name: 'machine stats, version given twice', operationId: 'getMachineStats', params: { id: 'orderSaga' }, query: 'version=1&version=1', status: 400 },
  { name: 'sagas of a machine', operationId: 'listMachineSagas', params: { id: 'orderSaga' }, query: 'state=completed&q=SKU', status: 200 },
  { name: 'sagas of a machine, a bad limit', operationId: 'listMachineSagas', params: { id: 'orderSaga' }, query: 'limit=-1', status: 400 },
  { name: 'a saga’s path', operationId: 'traceSaga', params: { id: 'orderSaga', sagaId: known.completed! }, status: 200 },
  { name: 'a path of no saga', operationId: 'traceSaga', params: { id: 'orderSaga', sagaId: 'nope' }, status: 404 },
  { name: 'a path of an id with a NUL', operationId: 'traceSaga', params: { id: 'orderSaga', sagaId: '%00' }, status: 400 },

  ...returnCalls(known),

  { name: 'liveness', operationId: 'getLiveness', status: 200 },
  { name: 'readiness', operationId: 'getReadiness', status: 200 },
  { name: 'the root', operationId: 'redirectToDashboard', status: 302 },
  { name: 'the dashboard', operationId: 'getDashboard', status: 200 },
  { name: 'a script of the dashboard', operationId: 'getDashboardFile', params: { file: 'dashboard.js' }, status: 200 },
  { name: 'a style of the dashboard', operationId: 'getDashboardFile', params: { file: 'dashboard.css' }, status: 200 },
  { name: 'no such file of the dashboard', operationId: 'getDashboardFile', params: { file: 'nope.js' }, status: 404 },
  { name: 'the document', operationId: 'getOpenApiDocument', status: 200 },
  { name: 'the docs', operationId: 'getDocs', status: 200 },
  { name: 'Swagger UI', operationId: 'getDocsFile', params: { file: 'swagger-ui-bundle.js' }, status: 200 },
  { name: 'Swagger UI’s style', operationId: 'getDocsFile', params: { file: 'swagger-ui.css' }, status: 200 },
  { name: 'the docs’ icon', operationId: 'getDocsFile', params: { file: 'favicon-32x32.png' }, status: 200 },
  { name: 'the docs’ start', operationId: 'getDocsFile', params: { file: 'docsPage.js' }, status: 200 },
  { name: 'Swagger UI’s own initializer, which points at the internet', operationId: 'getDocsFile', params: { file: 'swagger-initializer.js' }, status: 404 },
];

/** The returns of `known.completed` (its second return is the first these calls make; the first awaits its parcel). */
function returnCalls(known: Readonly<Record<string, string>>): readonly Call[] {
  const second = `${known.completed}.return-2`;
  const third = `${known.completed}.return-3`;
  const returnOf = (items: readonly { sku: string; quantity: number }[], orderId = known.completed!) => ({ orderId, items, reason: 'does not fit' });
  return [
    { name: 'return an item', operationId: 'requestReturn', body: returnOf([{ sku: 'SKU-1002', quantity: 1 }]), status: 202 },
    { name: 'return it again', operationId: 'requestReturn', body: returnOf([{ sku: 'SKU-1002', quantity: 1 }]), status: 409 },
    { name: 'return what the order did not hold', operationId: 'requestReturn', body: returnOf([{ sku: 'SKU-9999', quantity: 1 }]), status: 409 },
    { name: 'return items of an order still running', operationId: 'requestReturn', body: returnOf([{ sku: 'SKU-1001', quantity: 1 }], known.waiting), status: 409 },
    { name: 'return none', operationId: 'requestReturn', body: returnOf([]), status: 400 },
    { name: 'return a text', operationId: 'requestReturn', raw: { body: '{}', contentType: 'text/plain' }, status: 415 },
    { name: 'return the last piece', operationId: 'requestReturn', body: returnOf([{ sku: 'SKU-1001', quantity: 1 }]), status: 202 },
    { name: 'the returns of an order', operationId: 'listReturns', query: `orderId=${known.completed}`, status: 200 },
    { name: 'the returns of no order given', operationId: 'listReturns', status: 400 },
    { name: 'read a return', operationId: 'getReturn', params: { id: second }, status: 200 },
    { name: 'read no return', operationId: 'getReturn', params: { id: 'no-such-return' }, status: 404 },
    { name: 'reject a return', operationId: 'rejectReturn', params: { id: second }, body: { reason: 'worn' }, status: 202 },
    { name: 'approve a rejected return', operationId: 'approveReturn', params: { id: second }, status: 409 },
    { name: 'approve a return', operationId: 'approveReturn', params: { id: third }, status: 202 },
    { name: 'approve no return', operationId: 'approveReturn', params: { id: 'no-such-return' }, status: 404 },
    { name: 'reject with a reason too long', operationId: 'rejectReturn', params: { id: third }, body: { reason: 'x'.repeat(501) }, status: 400 },
    { name: 'a parcel arrives', operationId: 'carrierEvent', body: { returnId: known.awaitingParcel, type: 'PARCEL_RECEIVED' }, status: 202 },
    { name: 'a parcel of a rejected return', operationId: 'carrierEvent', body: { returnId: second, type: 'PARCEL_RECEIVED' }, status: 409 },
    { name: 'a parcel of no return', operationId: 'carrierEvent', body: { returnId: 'no-such-return', type: 'PARCEL_RECEIVED' }, status: 404 },
    { name: 'a carrier event of another kind', operationId: 'carrierEvent', body: { returnId: second, type: 'LOST' }, status: 400 },
  ];
}
