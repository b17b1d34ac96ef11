import { Router, type Request } from 'express';
import { validationError } from '../runtime/errors.ts';
import type { OrderQuery } from '../orders/orderReadModel.ts';
import type { OrderService } from '../orders/orderService.ts';
import type { OrderStatus } from '../orders/orderView.ts';
import { parsePlaceOrderRequest } from '../orders/placeOrderRequest.ts';
import { pathId } from './pathId.ts';
import { sendProblem } from './problem.ts';

const STATUSES: readonly OrderStatus[] = ['PENDING', 'COMPLETED', 'FAILED'];
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw validationError([{ field: 'Idempotency-Key', detail: 'must be 1-200 printable ASCII characters' }]);
  return key;
}

function searchQueryOf(query: Request['query']): OrderQuery {
  const errors = [];
  const single = (name: string): string | undefined => {
    const value = query[name];
    // An empty parameter (`?limit=`) means the same as an absent one.
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') {
      errors.push({ field: name, detail: 'must be given once' });
      return undefined;
    }
    return value;
  };
  const count = (name: string, max: number, fallback: number): number => {
    const value = single(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max) errors.push({ field: name, detail: `must be a whole number from 0 to ${max}` });
    return n;
  };
  const status = single('status');
  if (status !== undefined && !STATUSES.includes(status as OrderStatus)) errors.push({ field: 'status', detail: `must be one of ${STATUSES.join(', ')}` });
  const result: OrderQuery = {
    customerId: single('customerId'),
    status: status as OrderStatus | undefined,
    state: single('state'),
    sku: single('sku'),
    text: single('q'),
    limit: count('limit', 500, 20),
    offset: count('offset', 10_000, 0),
  };
  if (errors.length > 0) throw validationError(errors);
  return result;
}

function minVersionOf(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1) throw validationError([{ field: 'minVersion', detail: 'must be a whole number ≥ 1' }]);
  return n;
}

/** The order endpoints of the HTTP contract. */
export function ordersRouter(orders: OrderService): Router {
  const router = Router();

  router.post('/orders', async (req, res) => {
    if (!req.is('application/json')) {
      sendProblem(res, { status: 415, detail: 'Send the order as application/json.', instance: req.originalUrl });
      return;
    }
    const idempotencyKey = idempotencyKeyOf(req);
    const request = parsePlaceOrderRequest(req.body);
    const placed = await orders.placeOrder(request, idempotencyKey);
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
    const view = await orders.getOrder(orderId, { minVersion: minVersionOf(req.query.minVersion) });
    if (!view) {
      sendProblem(res, { status: 404, detail: `No order ${orderId}.`, instance: req.originalUrl });
      return;
    }
    res.json(view);
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
