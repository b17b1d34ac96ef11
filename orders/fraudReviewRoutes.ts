import { Router } from 'express';
import { z } from 'zod';
import { callerOf } from '../api/identifyCaller.ts';
import { json, problems, type RouteContract } from '../api/openapi/routeContract.ts';
import { pathId } from '../api/pathId.ts';
import { sendProblem } from '../api/problem.ts';
import { validateRequest } from '../api/validateRequest.ts';
import type { SagaRouteContext, SagaRoutes } from '../sdk/defineSaga.ts';

const params = z.object({ id: pathId().meta({ description: 'The order’s id.' }) });

const decisionBody = z
  .object({
    decision: z.enum(['approve', 'reject']).meta({ description: '`approve`: the order goes on to its stock; `reject`: its capture is refunded and it ends FAILED with FRAUD_REJECTED.' }),
    reason: z.string().max(500).meta({ description: 'Why, for the saga’s history.' }),
    expectedVersion: z.number().int().min(1).optional().meta({ description: 'Refuse (409) unless the order is still at this version.' }),
  })
  .meta({ id: 'FraudReviewDecision' });

const decided = z
  .strictObject({ orderId: z.string(), version: z.number().int().positive(), state: z.string(), eventId: z.string() })
  .meta({ id: 'FraudReviewDecided' });

export const fraudReviewContracts: readonly RouteContract[] = [
  {
    method: 'post',
    path: '/orders/{id}/fraud-review',
    operationId: 'decideFraudReview',
    summary: 'An operator’s decision on an order waiting for a fraud review (order saga v2)',
    description: 'A `FraudReviewApproved` or `FraudReviewRejected` event in the order’s stream, naming the operator; refused unless the order waits for the review.',
    tag: 'Orders',
    access: 'operator',
    request: { params, body: { required: true, content: { 'application/json': { schema: decisionBody } } } },
    responses: {
      202: json(decided, 'Applied.'),
      ...problems({
        400: 'The id or a field of the body is not valid.',
        404: 'No such order.',
        409: 'The order does not wait for a fraud review, or it moved on.',
        503: 'The event store did not answer; try again.',
      }),
    },
  },
];

/** `POST /orders/:id/fraud-review`: the decision a doubtful order waits for, sent into its saga as a signal. */
export function fraudReviewRoutes(saga: SagaRouteContext): SagaRoutes {
  const router = Router();
  router.post('/orders/:id/fraud-review', async (req, res) => {
    const { id } = validateRequest(params, req.params);
    const { decision, reason, expectedVersion } = validateRequest(decisionBody, req.body);
    const caller = callerOf(res);
    const outcome = await saga.signal({
      streamId: id,
      eventType: decision === 'approve' ? 'FraudReviewApproved' : 'FraudReviewRejected',
      data: { operator: typeof caller === 'object' ? caller.name : 'unknown', reason },
      expectedVersion,
    });
    if (outcome.kind === 'applied') return void res.status(202).json({ orderId: id, version: outcome.version, state: outcome.state, eventId: outcome.messageId });
    sendProblem(res, { status: outcome.why === 'NOT_FOUND' ? 404 : 409, detail: outcome.detail, instance: req.originalUrl });
  });
  return { router, contracts: fraudReviewContracts };
}
