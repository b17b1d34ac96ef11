import type { Request, RequestHandler } from 'express';
import type { HttpMetrics } from '../runtime/httpMetrics.ts';

export type { HttpMetrics, ServedRequest } from '../runtime/httpMetrics.ts';

/** The label of a request no route matched, such as a 404 for an unknown path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Node accepts some thirty methods; the ones the API answers are labelled as they are, the rest together. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Keeps the pattern of the last route that matched `req`, with the mount path it was matched
 * under: Express resets `req.baseUrl` when an error leaves a mounted router, and `req.route` alone
 * lacks the mount (`/sagas/:id/:action` under `/admin`).
 */
function rememberRoutes(req: Request): () => string | undefined {
  let route: Request['route'];
  let matched: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: Request['route']) {
      route = value;
      if (value && typeof value.path === 'string') matched = `${req.baseUrl}${value.path}`;
    },
  });
  return () => matched;
}

/**
 * Counts every answer by method, route and status. A request answered before any route matched
 * (a guard's 401 on a mounted path, a dashboard file) counts under its mount (`/admin/*`), and one
 * that matched nothing under `unmatched`.
 *
 * @example
 * app.use(measureRequests({ requestServed: (r) => console.log(r.route, r.status) }));
 */
export function measureRequests(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const began = performance.now();
    const routeOf = rememberRoutes(req);
    res.once('finish', () => {
      const route = routeOf() ?? (req.baseUrl ? `${req.baseUrl}/*` : UNMATCHED_ROUTE);
      metrics.requestServed({ method: METHODS.has(req.method) ? req.method : 'OTHER', route, status: res.statusCode, seconds: (performance.now() - began) / 1000 });
    });
    next();
  };
}
