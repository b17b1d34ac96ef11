import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearchOrderReadModel } from '../../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { quantile } from '../../app/stats.ts';
import { checkInvariants } from '../../orders/invariants.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { TEST_ES_URL } from '../support/elasticsearch.ts';
import { eventually } from '../support/eventually.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';
import { productionEnv } from '../support/productionEnv.ts';

const ORDERS = 2000;
const CONCURRENCY = 32;
const KILL_AFTER = 700;

describe('xsaga in production mode, as separate processes on PostgreSQL, Kafka, Elasticsearch and Redis', () => {
  const processes: RunningProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it(`runs ${ORDERS} orders through api, relay, two saga workers (one killed with -9), participants and projector`, { timeout: 600_000 }, async () => {
    const production = await productionEnv('e2e');
    cleanups.push(production.dispose);
    const { name } = production;
    const env = { ...production.env, XSAGA_PAYMENT_TIMEOUT_MS: '15000', XSAGA_PARTITIONS: '8' };
    const start = async (role: string, extra: Record<string, string> = {}) => {
      const started = await startNodeProcess(['app/main.ts', role], { env: { ...env, ...extra }, ready: /xsaga ready/, timeoutMs: 90_000 });
      processes.push(started);
      return started;
    };
    // Only the api role needs keys: the others start without any.
    const viewer = testApiKey('viewer');
    const api = await start('api', { PORT: '0', ...apiKeysEnv(viewer) });
    const url = api.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)![1]!;
    await start('relay');
    const doomedWorker = await start('worker');
    await start('worker');
    await start('participants');
    await start('projector');

    const began = performance.now();
    const ids: string[] = [];
    let next = 0;
    let killed = false;
    const send = async () => {
      while (next < ORDERS) {
        const index = next++;
        if (index === KILL_AFTER && !killed) {
          killed = true;
          doomedWorker.child.kill('SIGKILL');
        }
        const response = await fetch(`${url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `${name}-${index}` },
          body: JSON.stringify(orderRequestFor(index, scenarioFor(index))),
        });
        expect(response.status).toBe(202);
        ids.push(((await response.json()) as { orderId: string }).orderId);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, send));
    expect(killed).toBe(true);

    await eventually(
      async () => {
        const stats = (await (await fetch(`${url}/stats/orders`, { headers: viewer.headers })).json()) as { byStatus: Record<string, number> };
        expect(stats.byStatus.COMPLETED! + stats.byStatus.FAILED!).toBe(ORDERS);
      },
      { timeoutMs: 400_000, intervalMs: 500 },
    );
    const seconds = (performance.now() - began) / 1000;

    const readModel = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias: name });
    cleanups.push(() => readModel.close());
    const store = await createSqlSagaStore(production.sql, { migrate: false });
    const report = await checkInvariants({ sql: production.sql, store, readModel });
    expect(report.violations).toEqual([]);
    expect(report.orders).toBe(ORDERS);
    expect(report.completed).toBeGreaterThan(ORDERS * 0.8);
    expect(Object.keys(report.failedByReason).sort()).toEqual(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT', 'UNDELIVERABLE']);

    const views = (await Promise.all(ids.map((id) => readModel.get(id)))).filter((v): v is OrderView => v !== undefined);
    const latencies = views.map((v) => Date.parse(v.updatedAt) - Date.parse(v.placedAt));
    console.log(
      `production e2e: ${ORDERS} orders in ${seconds.toFixed(1)} s (${(ORDERS / seconds).toFixed(0)} sagas/s, one of two workers killed with -9 after ${KILL_AFTER}); ` +
        `saga latency p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms`,
    );
  });
});
