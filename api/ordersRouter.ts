import { context, trace } from '@opentelemetry/api';
import { Router } from 'express';
import type { OrderService } from '../orders/orderService.ts';
import { placeOrderRequestSchema } from '../orders/placeOrderRequest.ts';
import { getOrderQuery, orderIdParams, orderSearchQuery, placeOrderHeaders, VIEW_SOURCE_HEADER } from './ordersContract.ts';
import { traceContextOf } from '../runtime/traceContext.ts';
import { sendProblem } from './problem.ts';
import { serverSpan } from './serverSpan.ts';
import { validateRequest } from './validateRequest.ts';

/** The order endpoints of the HTTP contract (`ordersContract.ts` documents them). */
export function ordersRouter(orders: OrderService): Router {
  const router = Router();

  // The order's trace starts here (or continues the caller's): its first event stores the span's context.
  router.post('/orders', serverSpan('/orders'), async (req, res) => {
    if (!req.is('application/json')) {
      sendProblem(res, { status: 415, detail: 'Send the order as application/json.', instance: req.originalUrl });
      return;
    }
    const headers = validateRequest(placeOrderHeaders, { 'Idempotency-Key': req.get('Idempotency-Key') });
    const request = validateRequest(placeOrderRequestSchema, req.body);
    const placed = await orders.placeOrder(request, headers['Idempotency-Key'], traceContextOf(context.active()));
    trace.getActiveSpan()?.setAttribute('xsaga.saga.id', placed.orderId);
    res
      .status(202)
      .location(`/orders/${encodeURIComponent(placed.orderId)}`)
      .json({ orderId: placed.orderId, version: placed.version, status: placed.status });
  });

  router.get('/orders', async (req, res) => {
    const { q, ...query } = validateRequest(orderSearchQuery, req.query);
    res.json(await orders.search({ ...query, text: q }));
  });

  router.get('/orders/:id', async (req, res) => {
    const { id: orderId } = validateRequest(orderIdParams, req.params);
    const { minVersion } = validateRequest(getOrderQuery, req.query);
    const found = await orders.getOrder(orderId, { minVersion });
    if (!found) {
      sendProblem(res, { status: 404, detail: `No order ${orderId}.`, instance: req.originalUrl });
      return;
    }
    res.set(VIEW_SOURCE_HEADER, found.source).json(found.view);
  });

  router.get('/orders/:id/history', async (req, res) => {
    const { id: orderId } = validateRequest(orderIdParams, req.params);
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
