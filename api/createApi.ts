import express, { type Express, type Router } from 'express';
import type { OrderReadModel } from '../orders/orderReadModel.ts';
import type { OrderService } from '../orders/orderService.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import type { MachineRegistry } from '../runtime/sagaDefinition.ts';
import type { SagaStore } from '../runtime/sagaStore.ts';
import type { SagaViewBase, SagaViewStore } from '../runtime/viewStore.ts';
import type { SagaRoutes } from '../sdk/defineSaga.ts';
import packageJson from '../package.json' with { type: 'json' };
import { adminAccess } from './adminAccess.ts';
import type { ApiKey } from './apiKey.ts';
import { dashboardRoutes } from './dashboardContract.ts';
import { dashboardRouter } from './dashboardRouter.ts';
import { refuseDuplicateJsonKeys } from './duplicateJsonKey.ts';
import { healthRoutes } from './healthContract.ts';
import { identifyCaller } from './identifyCaller.ts';
import { machinesRoutes } from './machines/machinesContract.ts';
import { metricsRoutes } from './metricsContract.ts';
import { measureRequests, type HttpMetrics } from './httpMetrics.ts';
import { serveMetrics, type MetricsExposition } from './metricsExposition.ts';
import { machinesRouter } from './machines/machinesRouter.ts';
import { docsRouter, docsRoutes } from './openapi/docsRouter.ts';
import { openApiDocument } from './openapi/openApiDocument.ts';
import type { RouteContract } from './openapi/routeContract.ts';
import { ordersRoutes } from './ordersContract.ts';
import { ordersRouter } from './ordersRouter.ts';
import { secretReplacer } from './maskSecrets.ts';
import { problemDocument, problemMiddleware, sendProblem } from './problem.ts';
import { checkReadiness, type ReadinessChecks } from './readiness.ts';
import { requireRole } from './requireRole.ts';

export type ApiDeps = Readonly<{
  orders: OrderService;
  readModel: OrderReadModel;
  /** The machines behind `/machines` and the dashboard. */
  registry: MachineRegistry;
  /** The event store: the dashboard folds a saga's stream to draw its path. */
  store: SagaStore;
  /** Which read model holds the views of which machine's sagas, by machine id. */
  readModels: Readonly<Record<string, SagaViewStore<SagaViewBase>>>;
  /** What `/readyz` checks: each dependency this process needs to serve, by name. */
  readiness: ReadinessChecks;
  /** How long `/readyz` waits for one dependency before it counts it down. */
  readinessTimeoutMs?: number;
  /** The keys that may call the guarded routes; none: only the open routes answer. */
  apiKeys: readonly ApiKey[];
  /** Routes served under `/admin`, behind its guard (see `adminAccess`). */
  admin?: Router;
  /** The contract of the `admin` routes, for the OpenAPI document (paths from the root: `/admin/…`). */
  adminRoutes?: readonly RouteContract[];
  logger?: Logger;
  bodyLimit?: string;
  /** `GET /metrics` (a viewer key), and where every answered request is counted. */
  metrics?: Readonly<{ exposition: MetricsExposition; http: HttpMetrics }>;
  /** The routes the hosted sagas bring, each guarded by its contract's `access`. */
  sagaRoutes?: readonly SagaRoutes[];
}>;

/** `/returns/{id}/approve` (OpenAPI) as Express writes it: `/returns/:id/approve`. */
const expressPathOf = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

/** The HTTP API: commands in, queries out, every error as problem+json. */
export function createApi(deps: ApiDeps): Express {
  const sagaRoutes = deps.sagaRoutes ?? [];
  const routes = [...ordersRoutes, ...sagaRoutes.flatMap((saga) => saga.contracts), ...(deps.adminRoutes ?? []), ...machinesRoutes, ...healthRoutes, ...(deps.metrics ? metricsRoutes : []), ...dashboardRoutes, ...docsRoutes];
  const document = openApiDocument(routes, { version: packageJson.version });
  const app = express();
  app.disable('x-powered-by');
  // First, so that every answer is counted, refusals included.
  if (deps.metrics) app.use(measureRequests(deps.metrics.http));
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (createHttpServer leaves this one to us).
  app.use((req, res, next) => {
    if (req.httpVersion !== '1.1' || req.headers.host !== undefined) return next();
    sendProblem(res, { status: 400, detail: 'An HTTP/1.1 request needs a Host header.', instance: req.originalUrl });
  });
  // Every JSON answer, whatever its route, masks payment tokens.
  app.set('json replacer', secretReplacer);

  // Who may call what: placing an order and reading one by its id stay open (so do health, the
  // OpenAPI document and its docs: they show the contract, no data); whatever lists,
  // searches or shows more needs a viewer key; acting under /admin an operator key. Checked before
  // the body is read, so that a refused request costs little and changes nothing.
  app.use(identifyCaller(deps.apiKeys));
  app.get('/orders', requireRole('viewer'));
  app.get('/orders/:id/history', requireRole('viewer'));
  app.use(['/stats', '/machines'], requireRole('viewer'));
  // Business volumes and the system's inner state: a viewer's, like the statistics. Scrapers without a key use XSAGA_METRICS_PORT.
  if (deps.metrics) app.get('/metrics', requireRole('viewer'), serveMetrics(deps.metrics.exposition, deps.logger ?? silentLogger));
  app.use('/admin', adminAccess());
  // A saga's routes are guarded as their contract says: the document and the guard cannot disagree.
  for (const contract of sagaRoutes.flatMap((saga) => saga.contracts)) {
    if (contract.access === 'open') continue;
    app[contract.method as 'get' | 'post' | 'put' | 'patch' | 'delete'](expressPathOf(contract.path), requireRole(contract.access));
  }

  app.use(express.json({ limit: deps.bodyLimit ?? '64kb', strict: true, verify: refuseDuplicateJsonKeys }));

  // Liveness: the process serves HTTP. Nothing else is checked: restarting it would not bring a dependency back.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: whether each dependency this process serves from answers, in time.
  app.get('/readyz', async (req, res) => {
    const { ready, checks } = await checkReadiness(deps.readiness, deps.readinessTimeoutMs ?? 1000);
    if (ready) {
      res.json({ status: 'ready', checks });
      return;
    }
    const down = Object.keys(checks).filter((name) => checks[name] === 'down');
    const problem = problemDocument({ status: 503, detail: `Not ready: ${down.join(', ')} down.`, instance: req.originalUrl });
    res.status(503).set('Retry-After', '1').type('application/problem+json').json({ ...problem, checks });
  });

  app.get('/stats/orders', async (_req, res) => {
    const [byStatus, byState] = await Promise.all([deps.readModel.countByStatus(), deps.readModel.countByState()]);
    res.json({ byStatus, byState });
  });

  app.use(ordersRouter(deps.orders));
  for (const saga of sagaRoutes) app.use(saga.router);
  if (deps.admin) app.use('/admin', deps.admin);
  app.use(machinesRouter({ registry: deps.registry, store: deps.store, readModels: deps.readModels }));
  app.use(dashboardRouter());
  app.use(docsRouter(document));

  app.use((req, res) => sendProblem(res, { status: 404, detail: `No route for ${req.method} ${req.path}.`, instance: req.originalUrl }));
  app.use(problemMiddleware(deps.logger ?? silentLogger));
  return app;
}
