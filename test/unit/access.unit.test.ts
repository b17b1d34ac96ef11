import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { Router, type Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminAccess } from '../../api/adminAccess.ts';
import { createApi } from '../../api/createApi.ts';
import { identifyCaller } from '../../api/identifyCaller.ts';
import { problemMiddleware, type Problem } from '../../api/problem.ts';
import { requireRole } from '../../api/requireRole.ts';
import { loadConfig } from '../../app/config.ts';
import type { System } from '../../app/system.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { apiKeysEnv, testApiKey, type TestApiKey } from '../support/apiKeys.ts';
import { capturingLogger } from '../support/capturingLogger.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody } from '../support/orderRequests.ts';

const viewer = testApiKey('viewer');
const operator = testApiKey('operator');
/** A well-formed key nobody configured. */
const stranger = testApiKey('operator');
const keys = loadConfig(apiKeysEnv(viewer, operator)).apiKeys;

type Served = { url: string; close: () => Promise<void> };

async function serve(app: Express): Promise<Served> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const call = (url: string, init: { method?: string; key?: TestApiKey; headers?: Record<string, string>; body?: unknown } = {}): Promise<Response> =>
  fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.key ? init.key.headers : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

async function expectRefused(response: Response, status: 401 | 403): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  const problem = (await response.json()) as Problem;
  expect(problem).toMatchObject({ status, title: status === 401 ? 'Unauthorized' : 'Forbidden', detail: expect.any(String) });
  if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="xsaga"/);
  else expect(response.headers.get('www-authenticate')).toBeNull();
  return problem;
}

describe('requireRole and adminAccess on a small app of their own', () => {
  const acted = vi.fn();
  let app: Served;
  beforeAll(async () => {
    const tiny = express();
    tiny.use(identifyCaller(keys));
    tiny.get('/read', requireRole('viewer'), (_req, res) => void res.json({ read: true }));
    tiny.post('/act', requireRole('operator'), (_req, res) => {
      acted();
      res.status(204).end();
    });
    tiny.use('/admin', adminAccess());
    tiny.get('/admin/list', (_req, res) => void res.json({ items: [] }));
    tiny.post('/admin/do', (_req, res) => {
      acted();
      res.status(204).end();
    });
    tiny.use(problemMiddleware(silentLogger));
    app = await serve(tiny);
  });
  afterAll(() => app?.close());

  it('answers 401 with a Bearer challenge without a key, and with invalid_token for a key that is not configured', async () => {
    expect((await expectRefused(await call(`${app.url}/read`), 401)).detail).toContain('needs an API key');
    const wrong = await call(`${app.url}/read`, { key: stranger });
    await expectRefused(wrong, 401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="xsaga", error="invalid_token"');
    for (const authorization of [`Basic ${viewer.key}`, 'Bearer', `Bearer ${viewer.key}x`, `Bearer ${viewer.key.slice(1)}`]) {
      await expectRefused(await call(`${app.url}/read`, { headers: { authorization } }), 401);
    }
  });

  it('lets a viewer and an operator read, and only an operator act', async () => {
    expect((await call(`${app.url}/read`, { key: viewer })).status).toBe(200);
    expect((await call(`${app.url}/read`, { key: operator })).status).toBe(200);
    expect((await call(`${app.url}/read`, { headers: { authorization: `bearer  ${viewer.key}` } })).status).toBe(200);
    const problem = await expectRefused(await call(`${app.url}/act`, { method: 'POST', key: viewer }), 403);
    expect(problem.detail).toBe(`POST /act needs an operator key; key "${viewer.name}" is a viewer key.`);
    await expectRefused(await call(`${app.url}/act`, { method: 'POST' }), 401);
    await expectRefused(await call(`${app.url}/act`, { method: 'POST', key: stranger }), 401);
    expect(acted).not.toHaveBeenCalled();
    expect((await call(`${app.url}/act`, { method: 'POST', key: operator })).status).toBe(204);
    expect(acted).toHaveBeenCalledTimes(1);
  });

  it('guards /admin by method: reading needs a viewer, anything else an operator', async () => {
    acted.mockClear();
    await expectRefused(await call(`${app.url}/admin/list`), 401);
    expect((await call(`${app.url}/admin/list`, { key: viewer })).status).toBe(200);
    expect((await call(`${app.url}/admin/list`, { method: 'HEAD', key: viewer })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) await expectRefused(await call(`${app.url}/admin/do`, { method, key: viewer }), 403);
    expect(acted).not.toHaveBeenCalled();
    expect((await call(`${app.url}/admin/do`, { method: 'POST', key: operator })).status).toBe(204);
    expect(acted).toHaveBeenCalledTimes(1);
  });

  it('refuses where nobody identified the caller, even one with a configured key: it fails closed', async () => {
    const unidentified = express();
    unidentified.get('/read', requireRole('viewer'), (_req, res) => void res.json({ read: true }));
    const served = await serve(unidentified);
    try {
      await expectRefused(await call(`${served.url}/read`, { key: operator }), 401);
    } finally {
      await served.close();
    }
  });
});

describe('the API of a running system', () => {
  let system: System;
  let url: string;
  /** The same system's API with stand-in /admin routes: the real ones come later. */
  let admin: Served;
  const standIn = vi.fn();
  const logged = capturingLogger();
  const orders: Record<string, string> = {};

  beforeAll(async () => {
    system = await startEmbedded({ ...apiKeysEnv(viewer, operator), XSAGA_PAYMENT_TIMEOUT_MS: '2000' }, { logger: logged.logger });
    url = await system.listen(0);
    orders.placed = (await system.orders.placeOrder(placeOrderBody())).orderId;
    await eventually(async () => expect((await system.adapters.readModel.get(orders.placed!))?.status).toBe('COMPLETED'), { timeoutMs: 15_000 });

    const routes = Router();
    routes.get('/orders', async (_req, res) => void res.json(await system.orders.search({ limit: 10, offset: 0 })));
    // Stands in for an operator's action: it writes (places an order), so a refusal must leave no trace.
    routes.post('/orders', async (req, res) => {
      standIn();
      res.status(201).json(await system.orders.placeOrder(req.body));
    });
    const readModel = system.adapters.readModel;
    const api = createApi({
      orders: system.orders,
      readModel,
      registry: system.registry,
      store: system.adapters.store,
      readModels: { orderSaga: readModel },
      readiness: {},
      apiKeys: system.config.apiKeys,
      admin: routes,
      logger: logged.logger,
    });
    admin = await serve(api);
  });

  afterAll(async () => {
    await admin?.close();
    await system?.stop();
  });

  const guarded = () => [
    '/orders',
    '/orders?customerId=c-1&status=COMPLETED',
    `/orders/${orders.placed}/history`,
    '/orders/no-such-order/history',
    '/stats/orders',
    '/machines',
    '/machines/orderSaga',
    '/machines/orderSaga/layout',
    '/machines/orderSaga/stats',
    '/machines/orderSaga/sagas?state=completed',
    `/machines/orderSaga/sagas/${orders.placed}`,
    '/machines/no-such-machine',
    '/admin',
    '/admin/no-such-route',
  ];

  it('refuses every route that lists, searches or shows more without a key, or with a wrong one', async () => {
    for (const path of guarded()) {
      await expectRefused(await call(`${url}${path}`), 401);
      await expectRefused(await call(`${url}${path}`, { key: stranger }), 401);
      const head = await call(`${url}${path}`, { method: 'HEAD' });
      expect([head.status, head.headers.get('www-authenticate')], `HEAD ${path}`).toEqual([401, 'Bearer realm="xsaga"']);
    }
  });

  it('says which request needed a key, and what kind', async () => {
    expect((await expectRefused(await call(`${url}/stats/orders`), 401)).detail).toBe('GET /stats/orders needs an API key: send Authorization: Bearer <key>.');
    expect((await expectRefused(await call(`${admin.url}/admin/orders`, { method: 'POST', key: viewer, body: {} }), 403)).detail).toBe(
      `POST /admin/orders needs an operator key; key "${viewer.name}" is a viewer key.`,
    );
  });

  it('lets a viewer and an operator read them', async () => {
    for (const path of guarded()) {
      for (const key of [viewer, operator]) {
        const response = await call(`${url}${path}`, { key });
        const expected = /no-such|^\/admin/.test(path) ? 404 : 200;
        expect(response.status, `${key.role} ${path}`).toBe(expected);
      }
    }
  });

  it('keeps placing an order, reading it by id, health, the dashboard page and the API docs open', async () => {
    const placed = await call(`${url}/orders`, { method: 'POST', body: placeOrderBody() });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    expect((await call(`${url}/orders/${orderId}`)).status).toBe(200);
    expect((await call(`${url}/orders/${orderId}?minVersion=1`)).status).toBe(200);
    expect((await call(`${url}/healthz`)).status).toBe(200);
    for (const path of ['/ui/', '/ui/dashboard.js', '/ui/signIn.js', '/ui/statechart.js', '/ui/dashboard.css']) expect((await call(`${url}${path}`)).status, path).toBe(200);
    // The contract is no secret: it shows what each route takes and answers, and the routes guard themselves.
    for (const path of ['/openapi.json', '/docs/', '/docs/swagger-ui-bundle.js']) expect((await call(`${url}${path}`)).status, path).toBe(200);
    // A key sent to an open route changes nothing, even a wrong one.
    expect((await call(`${url}/orders/${orderId}`, { key: stranger })).status).toBe(200);
  });

  it('refuses a viewer who acts under /admin with 403 and changes nothing; an operator may', async () => {
    const before = await system.adapters.store.listStreams({ limit: 10_000 });
    const refused = await call(`${admin.url}/admin/orders`, { method: 'POST', key: viewer, body: placeOrderBody() });
    await expectRefused(refused, 403);
    await expectRefused(await call(`${admin.url}/admin/orders`, { method: 'POST', body: placeOrderBody() }), 401);
    // The answers came back after the guard ran: the handler would have run before them.
    expect(standIn).not.toHaveBeenCalled();
    expect(await system.adapters.store.listStreams({ limit: 10_000 })).toEqual(before);
    expect((await call(`${admin.url}/admin/orders`, { key: viewer })).status).toBe(200);

    const accepted = await call(`${admin.url}/admin/orders`, { method: 'POST', key: operator, body: placeOrderBody() });
    expect(accepted.status).toBe(201);
    expect(standIn).toHaveBeenCalledTimes(1);
    expect(await system.adapters.store.listStreams({ limit: 10_000 })).toHaveLength(before.length + 1);
  });

  it('never writes a key to a log, not even when a request that carried one fails', async () => {
    const printed: string[] = [];
    const capture = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    const spies = [vi.spyOn(console, 'log').mockImplementation(capture), vi.spyOn(console, 'error').mockImplementation(capture), vi.spyOn(console, 'warn').mockImplementation(capture)];
    const failing = vi.spyOn(system.adapters.readModel, 'countByStatus').mockRejectedValue(new Error('read model down'));
    try {
      for (const key of [viewer, operator, stranger]) {
        await call(`${url}/stats/orders`, { key });
        await call(`${url}/orders?limit=1`, { key });
        await call(`${admin.url}/admin/orders`, { method: 'POST', key, body: { not: 'an order' } });
      }
      expect((await call(`${url}/stats/orders`, { key: viewer })).status).toBe(500);
    } finally {
      failing.mockRestore();
      for (const spy of spies) spy.mockRestore();
    }
    // The failure was logged (so the logs were watched), without the key that came with it.
    const lines = [...logged.texts(), ...printed];
    expect(lines.some((line) => line.includes('read model down'))).toBe(true);
    for (const key of [viewer, operator, stranger]) {
      for (const line of lines) expect(line).not.toContain(key.key);
    }
  });
});
