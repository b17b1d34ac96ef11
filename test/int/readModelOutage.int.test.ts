import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { createAdapters } from '../../app/createAdapters.ts';
import { startSystem, type System } from '../../app/system.ts';
import { startOwnElasticsearch } from '../../chaos/servers/ownElasticsearch.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { eventually } from '../support/eventually.ts';
import { uniqueCustomerId } from '../support/orderRequests.ts';
import { productionEnv } from '../support/productionEnv.ts';
import { timedRequests } from '../support/timedRequests.ts';

/** Generous for a busy machine, and well below the 6-8 s the client's retries took before. */
const BOUND_MS = 3_000;

/**
 * The production system in-process on PostgreSQL, Kafka and Redis, with an Elasticsearch of its
 * own that the test kills (SIGKILL) and starts again: reads by id come from the event store,
 * listings answer 503, readiness says so, and the projector catches up afterwards.
 */
describe('an Elasticsearch outage behind a running system', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.warn(`cleanup: ${(error as Error).message}`));
  });

  it('keeps answering reads within a bound, and recovers when Elasticsearch is back', { timeout: 300_000 }, async () => {
    const es = await startOwnElasticsearch();
    cleanups.push(() => es.dispose());
    const viewer = testApiKey('viewer');
    const production = await productionEnv('esoutage');
    cleanups.push(production.dispose);
    const config = loadConfig({ ...production.env, XSAGA_ES_URL: es.address, ...apiKeysEnv(viewer), XSAGA_PARTITIONS: '2' });
    const system: System = await startSystem({ config, adapters: await createAdapters(config, silentLogger), logger: silentLogger });
    cleanups.push(() => system.stop());
    const url = await system.listen(0);

    const { timed, place } = timedRequests(() => url, 20_000);
    const projectedAs = (orderId: string, status: string, timeoutMs: number) =>
      eventually(async () => expect((await system.adapters.readModel.get(orderId))?.status).toBe(status), { timeoutMs, intervalMs: 200 });

    const customerId = uniqueCustomerId();
    const before = await place(customerId);
    await projectedAs(before, 'COMPLETED', 60_000);
    const { body: projected } = await timed(`/orders/${before}`);

    await es.stop({ hard: true });
    const during = await place(customerId);
    for (const orderId of [before, during]) {
      const { response, body, ms } = await timed(`/orders/${orderId}`);
      expect({ status: response.status, fast: ms < BOUND_MS }).toEqual({ status: 200, fast: true });
      expect(response.headers.get('xsaga-view-source')).toBe('event-store');
      expect(Object.keys(body).sort()).toEqual(Object.keys(projected).sort());
    }
    expect((await timed(`/orders/${before}`)).body).toEqual(projected);
    // The order placed during the outage runs to its end all the same: only its view waits.
    await eventually(async () => expect((await timed(`/orders/${during}`)).body.status).toBe('COMPLETED'), { timeoutMs: 60_000, intervalMs: 200 });

    const search = await timed(`/orders?customerId=${customerId}`, { headers: viewer.headers });
    expect({ status: search.response.status, fast: search.ms < BOUND_MS }).toEqual({ status: 503, fast: true });
    expect(search.response.headers.get('content-type')).toContain('application/problem+json');
    expect(search.response.headers.get('retry-after')).toMatch(/^\d+$/);
    const stats = await timed('/stats/orders', { headers: viewer.headers });
    expect({ status: stats.response.status, fast: stats.ms < BOUND_MS }).toEqual({ status: 503, fast: true });

    const ready = await timed('/readyz');
    expect({ status: ready.response.status, fast: ready.ms < BOUND_MS }).toEqual({ status: 503, fast: true });
    expect(ready.body.checks).toEqual({ eventStore: 'ok', readModel: 'down' });
    expect((await timed('/healthz')).response.status).toBe(200);

    await es.start();
    // The projector backed off and catches up: the order placed during the outage reaches the read model.
    await projectedAs(during, 'COMPLETED', 90_000);
    expect((await timed(`/orders/${during}`)).response.headers.get('xsaga-view-source')).toBe('read-model');
    await eventually(async () => expect((await timed('/readyz')).body).toEqual({ status: 'ready', checks: { eventStore: 'ok', readModel: 'ok' } }), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await eventually(async () => expect((await timed(`/orders?customerId=${customerId}`, { headers: viewer.headers })).body.total).toBe(2), { timeoutMs: 10_000, intervalMs: 200 });
    // An outage is nobody's poison.
    expect(await system.adapters.store.deadLetters({ limit: 10 })).toEqual([]);
  });
});
