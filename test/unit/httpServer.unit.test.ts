import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { sendRaw, type RawRequest, type RawResponse } from '../support/rawHttp.ts';

/** Generous: an answer that takes longer is a hang on any machine. */
const TIMEOUT_MS = 10_000;

let system: System;
let url: string;

beforeAll(async () => {
  system = await startEmbedded();
  url = await system.listen(0);
});

afterAll(async () => {
  await system?.stop();
});

const get = (target: string, headers: RawRequest['headers'] = [], extra: Partial<RawRequest> = {}): Promise<RawResponse> =>
  sendRaw(url, { method: 'GET', target, headers, ...extra }, TIMEOUT_MS);

function expectProblem(res: RawResponse, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  const problem = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  expect(problem).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}

// Node answered each of these with a bare status line and no body before the server wrote a problem.
describe('requests Node would answer itself', () => {
  it.each([
    ['a control character in a header value', () => get('/healthz', [['X-Note', 'a\u0001b']])],
    ['a NUL in the Idempotency-Key', () => sendRaw(url, { method: 'POST', target: '/orders', headers: [['Content-Type', 'application/json'], ['Idempotency-Key', 'k\u0000']], body: '{}' }, TIMEOUT_MS)],
    ['raw non-ASCII in the target', () => get('/orders/é')],
    ['a target without a leading slash', () => get('orders')],
    ['no Host header', () => get('/healthz', [], { noHost: true })],
  ])('answers %s with a 400 problem', async (_name, send) => {
    expectProblem(await send(), 400);
  });

  it('answers a request head over 16 kB with a 431 problem', async () => {
    expectProblem(await get(`/orders/${'a'.repeat(20_000)}`), 431);
  });

  it('answers an Expect other than 100-continue with a 417 problem', async () => {
    expectProblem(await get('/healthz', [['Expect', 'x-tea']]), 417);
  });

  it('still serves the next request', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });
});
