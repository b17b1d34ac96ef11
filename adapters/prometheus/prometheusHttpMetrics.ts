import { Counter, Histogram, type Registry } from 'prom-client';
import type { HttpMetrics } from '../../runtime/httpMetrics.ts';
import { BUCKETS } from './buckets.ts';

/** The API's answered requests as Prometheus metrics in `registry`. */
export function createPrometheusHttpMetrics(registry: Registry): HttpMetrics {
  const registers = [registry];
  const requests = new Counter({ name: 'xsaga_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status.', labelNames: ['method', 'route', 'status'], registers });
  const duration = new Histogram({
    name: 'xsaga_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern.',
    labelNames: ['method', 'route'],
    buckets: [...BUCKETS.workSeconds],
    registers,
  });
  return {
    requestServed({ method, route, status, seconds }) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
