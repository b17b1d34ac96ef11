import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminAccess } from '../../api/adminAccess.ts';
import { identifyCaller } from '../../api/identifyCaller.ts';
import { problemMiddleware, type Problem } from '../../api/problem.ts';
import { requireRole } from '../../api/requireRole.ts';
import { loadConfig } from '../../app/config.ts';
import { apiKeysEnv, testApiKey, type TestApiKey } from '../support/apiKeys.ts';

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
    tiny.use(problemMiddleware(() => undefined));
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
