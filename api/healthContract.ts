import { z } from 'zod';
import { problemWith } from './openapi/problemSchema.ts';
import { json, problems, type RouteContract } from './openapi/routeContract.ts';

const checks = z
  .record(z.string(), z.enum(['ok', 'down']))
  .meta({ id: 'ReadinessChecks', description: 'Each dependency the API serves from, by name (`eventStore`, `readModel`).' });

/** Liveness and readiness: open, so that an orchestrator needs no key. */
export const healthRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getLiveness',
    summary: 'Liveness: the process serves HTTP',
    description: 'Checks no dependency: restarting the process would not bring one back.',
    tag: 'Health',
    access: 'open',
    responses: { 200: json(z.strictObject({ status: z.literal('ok') }).meta({ id: 'Liveness' }), 'Alive.') },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness: whether each dependency the API serves from answers in time',
    tag: 'Health',
    access: 'open',
    responses: {
      200: json(z.strictObject({ status: z.literal('ready'), checks }).meta({ id: 'Readiness' }), 'Every dependency answered.'),
      ...problems({ 503: { description: 'A dependency did not answer within `XSAGA_READ_MODEL_TIMEOUT_MS`; `checks` says which.', schema: problemWith('ReadinessProblem', { checks }) } }),
    },
  },
];
