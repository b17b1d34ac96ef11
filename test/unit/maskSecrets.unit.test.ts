import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskSecrets, maskToken } from '../../api/maskSecrets.ts';
import type { System } from '../../app/system.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody } from '../support/orderRequests.ts';

describe('maskToken and maskSecrets', () => {
  it.each([
    ['tok_visa_4242', 'tok_****'],
    ['tok_ok', 'tok****'],
    ['abcd', 'ab****'],
    ['x', '****'],
    ['', '****'],
  ])('masks %j as %j', (token, masked) => {
    expect(maskToken(token)).toBe(masked);
  });

  it('masks every paymentToken in a copy, at any depth, and leaves the rest and the original alone', () => {
    const value = { type: 'OrderPlaced', data: { order: { orderId: 'o-1', paymentToken: 'tok_visa_4242' } }, commands: [{ data: { paymentToken: 'tok_abcdef' } }] };
    const original = structuredClone(value);
    expect(maskSecrets(value)).toEqual({ type: 'OrderPlaced', data: { order: { orderId: 'o-1', paymentToken: 'tok_****' } }, commands: [{ data: { paymentToken: 'tok_****' } }] });
    expect(value).toEqual(original);
    expect(maskSecrets(undefined)).toBeUndefined();
  });
});

describe('no answer of the API carries a payment token', () => {
  const viewer = testApiKey('viewer');
  // A token no test data holds by accident, so that finding it anywhere is a leak.
  const token = `tok_${randomBytes(12).toString('hex')}`;
  let system: System;
  let url: string;
  let orderId: string;
  const answers: Record<string, string> = {};

  beforeAll(async () => {
    system = await startEmbedded(apiKeysEnv(viewer));
    url = await system.listen(0);
    const placed = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(placeOrderBody({ paymentToken: token })) });
    answers['POST /orders'] = await placed.text();
    orderId = (JSON.parse(answers['POST /orders']!) as { orderId: string }).orderId;
    await eventually(async () => expect((await system.adapters.readModel.get(orderId))?.status).toBe('COMPLETED'), { timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('in the view, the search, the history, the trace and the stats', async () => {
    for (const path of [
      `/orders/${orderId}`,
      `/orders?q=${orderId}`,
      `/orders/${orderId}/history`,
      `/machines/orderSaga/sagas/${orderId}`,
      `/machines/orderSaga/sagas?q=${orderId}`,
      '/stats/orders',
    ]) {
      const response = await fetch(`${url}${path}`, { headers: viewer.headers });
      expect(response.status, path).toBe(200);
      answers[`GET ${path}`] = await response.text();
    }
    // Nor does the refusal of a body that is not JSON, which quotes what the parser read.
    const malformed = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"paymentToken": ${token}}` });
    expect(malformed.status).toBe(400);
    answers['POST /orders (malformed)'] = await malformed.text();
    expect(answers['POST /orders (malformed)']).toContain('not valid JSON');
    for (const [request, text] of Object.entries(answers)) expect(text, request).not.toContain(token);
    // The history and the trace do show that there was one.
    expect(answers[`GET /orders/${orderId}/history`]).toContain('"paymentToken":"tok_****"');
    expect(answers[`GET /machines/orderSaga/sagas/${orderId}`]).toContain('"paymentToken":"tok_****"');
  });
});
