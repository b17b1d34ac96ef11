import { z } from 'zod';
import { problems, type RouteContract } from './openapi/routeContract.ts';

/** `GET /metrics` on the api's port; a process's keyless listener (`XSAGA_METRICS_PORT`) serves the same text. */
export const metricsRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: "The process's metrics in Prometheus's text format",
    description: 'A viewer key: the counters tell business volumes. Scrapers use the keyless listener of `XSAGA_METRICS_PORT` instead.',
    tag: 'Health',
    access: 'viewer',
    responses: {
      200: { description: 'Prometheus text exposition format, version 0.0.4.', content: { 'text/plain': { schema: z.string() } } },
      ...problems({ 503: 'The metrics could not be rendered; try again.' }),
    },
  },
];
