import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { placeOrderBody } from '../support/orderRequests.ts';
import { eventually } from '../support/eventually.ts';

describe('GET /orders/:id?minVersion= (read your own write)', () => {
  let system: System;
  let url: string;
  beforeAll(async () => {
    system = await startEmbedded({ XSAGA_MIN_VERSION_WAIT_MS: '300' });
    url = await system.listen(0);
  });
  afterAll(() => system.stop());

  const place = async () => {
    const response = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(placeOrderBody()) });
    return (await response.json()) as { orderId: string; version: number };
  };

  it('answers once the read model reached the version', async () => {
    const { orderId } = await place();
    const done = await eventually(async () => {
      const view = (await (await fetch(`${url}/orders/${orderId}`)).json()) as { status: string; version: number };
      expect(view.status).toBe('COMPLETED');
      return view;
    });
    const response = await fetch(`${url}/orders/${orderId}?minVersion=${done.version}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { version: number }).version).toBeGreaterThanOrEqual(done.version);
  });

  it('gives up after the bounded wait with a retryable 503 problem', async () => {
    const { orderId } = await place();
    await eventually(async () => expect((await system.adapters.readModel.get(orderId))?.status).toBe('COMPLETED'));
    // Hold the projection back: the read model never reaches the version the client asks for.
    const readModel = system.adapters.readModel;
    const get = readModel.get;
    (readModel as { get: typeof get }).get = async (id) => {
      const view = await get(id);
      return view && { ...view, version: 1 };
    };
    try {
      const started = Date.now();
      const response = await fetch(`${url}/orders/${orderId}?minVersion=2`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.get('retry-after')).toBe('1');
      expect(((await response.json()) as { detail: string }).detail).toContain('has not reached version 2');
      // The whole bounded wait, never less (timers may fire a millisecond early).
      expect(Date.now() - started).toBeGreaterThanOrEqual(299);
    } finally {
      (readModel as { get: typeof get }).get = get;
    }
  });

  it('rejects a version the order never had and a malformed minVersion', async () => {
    const { orderId } = await place();
    await eventually(async () => expect((await system.adapters.readModel.get(orderId))?.status).toBe('COMPLETED'));
    const readModel = system.adapters.readModel;
    const get = readModel.get;
    (readModel as { get: typeof get }).get = async () => undefined;
    try {
      expect((await fetch(`${url}/orders/${orderId}?minVersion=99`)).status).toBe(409);
    } finally {
      (readModel as { get: typeof get }).get = get;
    }
    const bad = await fetch(`${url}/orders/${orderId}?minVersion=two`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('minVersion');
  });

  it('answers a version past the head of a projected order with a 409 at once, not a 503 after the wait', async () => {
    const { orderId } = await place();
    await eventually(async () => expect((await system.adapters.readModel.get(orderId))?.status).toBe('COMPLETED'));
    const response = await fetch(`${url}/orders/${orderId}?minVersion=99`);
    // A wait for the projection ends in a 503 TIMEOUT: a 409 means the request did not wait.
    expect(response.status).toBe(409);
    expect(((await response.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['minVersion']);
  });

  it.each(['1e308', '9007199254740993', '1.0', '0x10', ' 1', '-0', '0', 'Infinity'])('refuses minVersion=%s with a 400 problem naming minVersion', async (value) => {
    const { orderId } = await place();
    const response = await fetch(`${url}/orders/${orderId}?minVersion=${encodeURIComponent(value)}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['minVersion']);
  });
});
