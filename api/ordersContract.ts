import { z } from 'zod';
import { idempotencyKeyHeaders } from './idempotencyKeyHeaders.ts';
import { orderViewSchema } from '../orders/orderViewSchema.ts';
import { placeOrderRequestSchema } from '../orders/placeOrderRequest.ts';
import { json, problems, type RouteContract } from './openapi/routeContract.ts';
import { pathId } from './pathId.ts';
import { oneOfParam, textParam, wholeNumberParam } from './queryParams.ts';

/** Where `GET /orders/:id` read its answer: `read-model`, or `event-store` (not projected yet, or the read model is unavailable). */
export const VIEW_SOURCE_HEADER = 'xsaga-view-source';

export const placeOrderHeaders = idempotencyKeyHeaders;

export const orderIdParams = z.object({ id: pathId().meta({ description: 'The order id `POST /orders` answered with.' }) });

export const getOrderQuery = z.object({
  // Bounded: a version past the safe integers cannot be compared, let alone reached.
  minVersion: wholeNumberParam({ min: 1, max: Number.MAX_SAFE_INTEGER }).meta({
    description: 'Read your own write: wait (bounded) until the view reflects at least this version of the order.',
  }),
});

export const orderSearchQuery = z.object({
  customerId: textParam(),
  status: oneOfParam(['PENDING', 'COMPLETED', 'FAILED']),
  state: textParam().meta({ description: 'A statechart state, dotted.' }),
  sku: textParam(),
  q: textParam().meta({ description: 'Free text over the order id, customer and SKUs.' }),
  limit: wholeNumberParam({ min: 0, max: 500, fallback: 20 }),
  offset: wholeNumberParam({ min: 0, max: 10_000, fallback: 0 }),
});

const orderAccepted = z
  .strictObject({ orderId: z.string(), version: z.number().int().positive(), status: z.literal('PENDING') })
  .meta({ id: 'OrderAccepted' });

export const orderSearchResult = z.strictObject({ total: z.number().int().nonnegative(), items: z.array(orderViewSchema) }).meta({ id: 'OrderSearchResult' });

const orderHistory = z
  .strictObject({
    orderId: z.string(),
    events: z.array(
      z.strictObject({
        version: z.number().int().positive(),
        type: z.string().meta({ description: 'Past tense: `OrderPlaced`, `PaymentCaptured`, `TimerFired`, …' }),
        data: z.unknown().meta({ description: 'The event’s data; payment tokens show as `tok_****`.' }),
        metadata: z.strictObject({
          messageId: z.string(),
          correlationId: z.string(),
          causationId: z.string(),
          occurredAt: z.iso.datetime(),
          traceparent: z.string().optional().meta({ description: 'The W3C trace context of the span that caused the event, when traces were on.' }),
          tracestate: z.string().optional(),
        }),
      }),
    ),
  })
  .meta({ id: 'OrderHistory' });

const READ_MODEL_DOWN = 'The read model did not answer in time; try again.';

/** The order endpoints: placing an order and reading one are open, searching and history need a viewer key. */
export const ordersRoutes: readonly RouteContract[] = [
  {
    method: 'post',
    path: '/orders',
    operationId: 'placeOrder',
    summary: 'Place an order',
    description: 'Starts the order’s saga. Test triggers: README "HTTP API".',
    tag: 'Orders',
    access: 'open',
    request: { headers: placeOrderHeaders, body: { required: true, content: { 'application/json': { schema: placeOrderRequestSchema } } } },
    responses: {
      202: json(orderAccepted, 'Accepted: the saga runs; follow `Location`.', z.object({ Location: z.string().meta({ description: '`/orders/<orderId>`' }) })),
      ...problems({
        400: 'A field of the body or the Idempotency-Key is not valid (each is named in `errors`), or the body is not JSON, or names a key twice.',
        413: 'The body is over 64 kB.',
        415: 'The body is not `application/json` in UTF-8.',
        422: 'The Idempotency-Key was used with another body.',
        503: 'The event store did not answer; try again.',
      }),
    },
  },
  {
    method: 'get',
    path: '/orders',
    operationId: 'searchOrders',
    summary: 'Search orders, newest first',
    tag: 'Orders',
    access: 'viewer',
    request: { query: orderSearchQuery },
    responses: { 200: json(orderSearchResult, 'The orders found, a page of them.'), ...problems({ 400: 'A parameter is not valid.', 503: READ_MODEL_DOWN }) },
  },
  {
    method: 'get',
    path: '/orders/{id}',
    operationId: 'getOrder',
    summary: 'Read an order',
    description: 'From the read model; before the projection caught up, or while the read model is unavailable, folded from the event store, in the same shape.',
    tag: 'Orders',
    access: 'open',
    request: { params: orderIdParams, query: getOrderQuery },
    responses: {
      200: json(orderViewSchema, 'The order.', z.object({ [VIEW_SOURCE_HEADER]: z.enum(['read-model', 'event-store']).meta({ description: 'Where the view was read.' }) })),
      ...problems({
        400: 'The id or `minVersion` is not valid.',
        404: 'No such order.',
        409: '`minVersion` is past the order’s last version.',
        503: 'The view did not reach `minVersion` in time, or the event store did not answer; try again.',
      }),
    },
  },
  {
    method: 'get',
    path: '/orders/{id}/history',
    operationId: 'getOrderHistory',
    summary: 'The order’s event stream, for audit',
    tag: 'Orders',
    access: 'viewer',
    request: { params: orderIdParams },
    responses: {
      200: json(orderHistory, 'Every event of the order, in version order.'),
      ...problems({ 400: 'The id is not valid.', 404: 'No such order.', 503: 'The event store did not answer; try again.' }),
    },
  },
  {
    method: 'get',
    path: '/stats/orders',
    operationId: 'getOrderStats',
    summary: 'Counts of orders per status and per statechart state',
    tag: 'Orders',
    access: 'viewer',
    responses: {
      200: json(
        z
          .strictObject({
            byStatus: z.strictObject({ PENDING: z.number().int().nonnegative(), COMPLETED: z.number().int().nonnegative(), FAILED: z.number().int().nonnegative() }),
            byState: z.record(z.string(), z.number().int().nonnegative()),
          })
          .meta({ id: 'OrderStats' }),
        'The counts.',
      ),
      ...problems({ 503: READ_MODEL_DOWN }),
    },
  },
];
