import { context, trace } from '@opentelemetry/api';
import { Router, type Request } from 'express';
import { validationError, type FieldError } from '../runtime/errors.ts';
import type { OrderQuery } from '../orders/orderReadModel.ts';
import type { OrderService } from '../orders/orderService.ts';
import type { OrderStatus } from '../orders/orderView.ts';
import { parsePlaceOrderRequest } from '../orders/placeOrderRequest.ts';
import { traceContextOf } from '../runtime/traceContext.ts';
import { pathId } from './pathId.ts';
import { sendProblem } from './problem.ts';
import { singleParam, wholeNumberParam } from './queryParams.ts';
import { serverSpan } from './serverSpan.ts';

const STATUSES: readonly OrderStatus[] = ['PENDING', 'COMPLETED', 'FAILED'];
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
/** Where `GET /orders/:id` read its answer: `read-model`, or `event-store` (not projected yet, or the read model is unavailable). */
export const VIEW_SOURCE_HEADER = 'xsaga-view-source';

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw validationError([{ field: 'Idempotency-Key', detail: 'must be 1-200 printable ASCII characters' }]);
  return key;
}

function searchQueryOf(query: Request['query']): OrderQuery {
  const errors: FieldError[] = [];
  const status = singleParam(query, 'status', errors);
  if (status !== undefined && !STATUSES.includes(status as OrderStatus)) errors.push({ field: 'status', detail: `must be one of ${STATUSES.join(', ')}` });
  const result: OrderQuery = {
    customerId: singleParam(query, 'customerId', errors),
    status: status as OrderStatus | undefined,
    state: singleParam(query, 'state', errors),
    sku: singleParam(query, 'sku', errors),
    text: singleParam(query, 'q', errors),
    limit: wholeNumberParam(query, 'limit', { min: 0, max: 500, fallback: 20 }, errors),
    offset: wholeNumberParam(query, 'offset', { min: 0, max: 10_000, fallback: 0 }, errors),
  };
  if (errors.length > 0) throw validationError(errors);
  return result;
}

function minVersionOf(query: Request['query']): number | undefined {
  const errors: FieldError[] = [];
  // Bounded: a version past the safe integers cannot be compared, let alone reached.
  const minVersion = wholeNumberParam(query, 'minVersion', { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: undefined }, errors);
  if (errors.length > 0) throw validationError(errors);
  return minVersion;
}

/** The order endpoints of the HTTP contract. */
export function ordersRouter(orders: OrderService): Router {
  const router = Router();

  // The order's trace starts here (or continues the caller's): its first event stores the span's context.
  router.post('/orders', serverSpan('/orders'), async (req, res) => {
    if (!req.is('application/json')) {
      sendProblem(res, { status: 415, detail: 'Send the order as application/json.', instance: req.originalUrl });
      return;
    }
    const idempotencyKey = idempotencyKeyOf(req);
    const request = parsePlaceOrderRequest(req.body);
    const placed = await orders.placeOrder(request, idempotencyKey, traceContextOf(context.active()));
    trace.getActiveSpan()?.setAttribute('xsaga.saga.id', placed.orderId);
    res
      .status(202)
      .location(`/orders/${encodeURIComponent(placed.orderId)}`)
      .json({ orderId: placed.orderId, version: placed.version, status: placed.status });
  });

  router.get('/orders', async (req, res) => {
    const found = await orders.search(searchQueryOf(req.query));
    res.json(found);
  });

  router.get('/orders/:id', async (req, res) => {
    const orderId = pathId(req, 'id');
    const found = await orders.getOrder(orderId, { minVersion: minVersionOf(req.query) });
    if (!found) {
      sendProblem(res, { status: 404, detail: `No order ${orderId}.`, instance: req.originalUrl });
      return;
    }
    res.set(VIEW_SOURCE_HEADER, found.source).json(found.view);
  });

  router.get('/orders/:id/history', async (req, res) => {
    const orderId = pathId(req, 'id');
    const events = await orders.history(orderId);
    if (!events) {
      sendProblem(res, { status: 404, detail: `No order ${orderId}.`, instance: req.originalUrl });
      return;
    }
    res.json({
      orderId,
      events: events.map((e) => ({ version: e.version, type: e.message.type, data: e.message.data, metadata: e.message.metadata })),
    });
  });

  return router;
}
