import { callerOf, createMessage, isoNow, isXsagaError, Router, sendProblem, validateRequest, XsagaError, type LiveSaga, type SagaRouteContext, type SagaRoutes } from 'xsaga';
import { idempotencyKeyHeaders } from 'xsaga';
import type { ReturnEnv } from './returnEnv.ts';
import { carrierEventSchema, decisionRequestSchema, returnIdParams, returnListQuery, returnRequestSchema, returnRoutes, type ReturnRequest } from './returnContract.ts';
import { claimReturn, returnIdOf, type ReturnedSoFar } from './returnClaims.ts';

/** A new return's id names its order and its place among the order's returns: the store keeps it unique. */
const MAX_CLAIM_ATTEMPTS = 5;

type SagaView = Readonly<Record<string, unknown> & { status: string }>;

/** A saga's view as its definition draws it from the stored state. */
const viewOf = (saga: LiveSaga): SagaView =>
  saga.definition.view({ streamId: saga.streamId, version: saga.version, snapshot: saga.snapshot, updatedAt: saga.times.enteredAt ?? saga.times.startedAt ?? '' }) as SagaView;

/**
 * The returns endpoints: a return is refused (409) unless its order is COMPLETED and the items
 * were in it and are not already returned. Returns of one order are serialized by their ids
 * (`<orderId>.return-<n>`): two racing requests compute the same id, the store lets one start,
 * the other checks again against it.
 */
export function returnRouter(saga: SagaRouteContext, env: ReturnEnv): SagaRoutes {
  const router = Router();

  /** The order's returns as the event store holds them, oldest first. */
  async function returnsOf(orderId: string): Promise<LiveSaga[]> {
    const found: LiveSaga[] = [];
    for (let n = 1; ; n++) {
      const existing = await saga.load(returnIdOf(orderId, n));
      if (!existing) return found;
      found.push(existing);
    }
  }

  async function requestReturn(request: ReturnRequest, idempotencyKey: string | undefined) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await saga.start(async () => {
          const order = await saga.load(request.orderId);
          const earlier = await returnsOf(request.orderId);
          const soFar: ReturnedSoFar = earlier.map((r) => ({ status: viewOf(r).status, items: (viewOf(r).items as { sku: string; quantity: number }[]) ?? [] }));
          const claim = claimReturn({ orderId: request.orderId, order: order && order.definition.machine.id === 'orderSaga' ? viewOf(order) : undefined, request, returnedSoFar: soFar });
          const returnId = returnIdOf(request.orderId, earlier.length + 1);
          const requestedAt = isoNow(saga.clock);
          return createMessage(
            'ReturnRequested',
            {
              returnId,
              orderId: request.orderId,
              customerId: claim.customerId,
              items: claim.items,
              refundAmount: claim.refundAmount,
              currency: claim.currency,
              reason: request.reason,
              requestedAt,
              settings: env,
            },
            { messageId: `${returnId}/requested`, correlationId: returnId, occurredAt: requestedAt },
          );
        }, idempotencyKey ? { key: idempotencyKey, request } : undefined);
      } catch (error) {
        // Another return of the same order started first with the same id: check again against it.
        if (!isXsagaError(error, 'CONCURRENCY') || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
      }
    }
  }

  router.post('/returns', async (req, res) => {
    if (!req.is('application/json')) return void sendProblem(res, { status: 415, detail: 'Send the return as application/json.', instance: req.originalUrl });
    const headers = validateRequest(idempotencyKeyHeaders, { 'Idempotency-Key': req.get('Idempotency-Key') });
    const request = validateRequest(returnRequestSchema, req.body);
    const started = await requestReturn(request, headers['Idempotency-Key']);
    res.status(202).location(`/returns/${encodeURIComponent(started.streamId)}`).json({ returnId: started.streamId, version: started.version, status: 'PENDING' });
  });

  router.get('/returns', async (req, res) => {
    const { orderId } = validateRequest(returnListQuery, req.query);
    res.json({ items: (await returnsOf(orderId)).map(viewOf) });
  });

  router.get('/returns/:id', async (req, res) => {
    const { id } = validateRequest(returnIdParams, req.params);
    const found = await saga.load(id);
    if (!found || found.definition.machine.id !== saga.definition.machine.id) return void sendProblem(res, { status: 404, detail: `No return ${id}.`, instance: req.originalUrl });
    res.json(viewOf(found));
  });

  for (const [action, eventType] of [['approve', 'ReturnApproved'], ['reject', 'ReturnRejected']] as const) {
    router.post(`/returns/:id/${action}`, async (req, res) => {
      const { id } = validateRequest(returnIdParams, req.params);
      const { reason } = validateRequest(decisionRequestSchema, req.body ?? {});
      const caller = callerOf(res);
      const operator = typeof caller === 'object' ? caller.name : 'unknown';
      const outcome = await saga.signal({ streamId: id, eventType, data: { operator, ...(reason ? { reason } : {}) } });
      if (outcome.kind === 'applied') return void res.status(202).json({ returnId: id, version: outcome.version, state: outcome.state });
      const status = outcome.why === 'NOT_FOUND' ? 404 : 409;
      sendProblem(res, { status, detail: outcome.why === 'NOT_ACCEPTED' ? `Return ${id} is not waiting for a decision (it is ${outcome.state}).` : outcome.detail, instance: req.originalUrl });
    });
  }

  router.post('/carrier/events', async (req, res) => {
    const event = validateRequest(carrierEventSchema, req.body);
    const found = await saga.load(event.returnId);
    if (!found || found.definition.machine.id !== saga.definition.machine.id) return void sendProblem(res, { status: 404, detail: `No return ${event.returnId}.`, instance: req.originalUrl });
    if (found.snapshot.status !== 'active' || !found.snapshot.can({ type: 'ParcelReceived', data: {} })) {
      throw new XsagaError('CONFLICT', `Return ${event.returnId} is not waiting for a parcel (it is ${String(viewOf(found).state)}).`);
    }
    // The carrier may call again: one id per return, so the saga takes the parcel once.
    const parcel = createMessage('ParcelReceived', {}, { messageId: `${event.returnId}/parcel-received`, correlationId: event.returnId, occurredAt: isoNow(saga.clock) });
    await saga.send([parcel]);
    res.status(202).json({ returnId: event.returnId, accepted: true });
  });

  return { router, contracts: returnRoutes };
}
