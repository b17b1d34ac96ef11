import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import type { System } from '../../app/system.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { uniqueCustomerId } from '../support/orderRequests.ts';
import { readModelOutage, type OutageMode } from '../support/readModelOutage.ts';
import { timedRequests } from '../support/timedRequests.ts';

/** Generous for a busy machine, and still far below the 6-8 s a client's retries took. */
const BOUND_MS = 1_500;

describe('reads while the read model is down', () => {
  const viewer = testApiKey('viewer');
  const outage = readModelOutage(createMemoryOrderReadModel());
  let system: System;
  let url: string;
  beforeAll(async () => {
    system = await startEmbedded({ ...apiKeysEnv(viewer), XSAGA_READ_MODEL_TIMEOUT_MS: '200' }, { wrap: (adapters) => ({ ...adapters, readModel: outage.readModel }) });
    url = await system.listen(0);
  });
  afterAll(async () => {
    outage.end();
    await system.stop();
  });

  const { timed, place } = timedRequests(() => url, 10_000);
  const completedInReadModel = (orderId: string) =>
    eventually(async () => expect((await system.adapters.readModel.get(orderId))?.status).toBe('COMPLETED'), { timeoutMs: 20_000 });

  it.each<Exclude<OutageMode, 'none'>>(['hang', 'refuse'])(
    'answers an order by id from the event store, listings with 503, and readiness with the read model down, when it does not answer (%s)',
    async (mode) => {
      const customerId = uniqueCustomerId();
      const before = await place(customerId);
      await completedInReadModel(before);
      const projected = await timed(`/orders/${before}`);

      outage.begin(mode);
      try {
        const during = await place(customerId);
        for (const orderId of [before, during]) {
          const { response, body, ms } = await timed(`/orders/${orderId}`);
          expect({ status: response.status, fast: ms < BOUND_MS }).toEqual({ status: 200, fast: true });
          expect(response.headers.get('xsaga-view-source')).toBe('event-store');
          expect(Object.keys(body).sort()).toEqual(Object.keys(projected.body).sort());
          expect(body.orderId).toBe(orderId);
        }
        // The order placed before the outage reads as the read model had it.
        expect((await timed(`/orders/${before}`)).body).toEqual(projected.body);
        // Reading one's own write does not wait for a read model that is down either.
        const own = await timed(`/orders/${during}?minVersion=1`);
        expect(own.response.status).toBe(200);
        expect(own.ms).toBeLessThan(BOUND_MS);

        for (const path of [`/orders?customerId=${customerId}`, '/stats/orders', '/machines/orderSaga/stats', '/machines/orderSaga/sagas', '/admin/sagas?attention=true']) {
          const { response, body, ms } = await timed(path, { headers: viewer.headers });
          expect({ path, status: response.status, fast: ms < BOUND_MS }).toEqual({ path, status: 503, fast: true });
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
          expect(body.status).toBe(503);
        }

        const ready = await timed('/readyz');
        expect(ready.response.status).toBe(503);
        expect(ready.ms).toBeLessThan(BOUND_MS);
        expect(ready.body.checks).toEqual({ eventStore: 'ok', readModel: 'down' });
        expect((await timed('/healthz')).response.status).toBe(200);

        outage.end();
        // The projector caught up: the order placed during the outage reached the read model.
        await completedInReadModel(during);
        for (const orderId of [before, during]) expect((await timed(`/orders/${orderId}`)).response.headers.get('xsaga-view-source')).toBe('read-model');
        const after = await timed('/readyz');
        expect(after.response.status).toBe(200);
        expect(after.body).toEqual({ status: 'ready', checks: { eventStore: 'ok', readModel: 'ok' } });
        expect((await timed(`/orders?customerId=${customerId}`, { headers: viewer.headers })).body.total).toBe(2);
        // An outage is nobody's poison.
        expect(await system.adapters.store.deadLetters({ limit: 10 })).toEqual([]);
      } finally {
        outage.end();
      }
    },
  );
});
