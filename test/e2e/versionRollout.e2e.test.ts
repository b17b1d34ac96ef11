import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearchOrderReadModel } from '../../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { runDeployCheckCommand } from '../../app/commands/deployCheck.ts';
import { loadConfig } from '../../app/config.ts';
import { DEFAULT_MIX, orderRequestFor, scenarioFor, type Scenario } from '../../app/orderMix.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { checkInvariants } from '../../orders/invariants.ts';
import { sagasWithOrderV1ChangedInPlace } from '../fixtures/orderSagaV1ChangedInPlace.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { TEST_ES_URL } from '../support/elasticsearch.ts';
import { eventually } from '../support/eventually.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';
import { productionEnv } from '../support/productionEnv.ts';

const BATCH = 500;
const CONCURRENCY = 16;
/** A tenth of the orders' payment never answers: they wait out their deadline, in flight across the restart. */
const MIX: readonly Scenario[] = DEFAULT_MIX.map((scenario) => (scenario.paymentToken === 'tok_no_answer' ? { ...scenario, weight: 10 } : scenario));
/** The first api's deadline outlasts the deploy gate and the restart on a busy machine; the second's keeps the run short. */
const FIRST_PAYMENT_TIMEOUT_MS = '60000';
const SECOND_PAYMENT_TIMEOUT_MS = '5000';

describe('a rollout of order saga v2 while v1 sagas run, as separate processes on PostgreSQL, Kafka, Elasticsearch and Redis', () => {
  const processes: RunningProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it(`keeps ${BATCH} orders started on v1 on v1 through a restart onto v2, gated before it, and starts ${BATCH} more on v2`, { timeout: 600_000 }, async () => {
    const production = await productionEnv('rollout');
    cleanups.push(production.dispose);
    const { name, sql } = production;
    const env = { ...production.env, XSAGA_PARTITIONS: '4' };
    const before = { XSAGA_MACHINE_VERSIONS: 'orderSaga:1' };
    const viewer = testApiKey('viewer');
    const start = async (role: string, extra: Record<string, string> = {}) => {
      const started = await startNodeProcess(['app/main.ts', role], { env: { ...env, ...extra }, ready: /xsaga ready/, timeoutMs: 120_000 });
      processes.push(started);
      return started;
    };
    const startApi = async (extra: Record<string, string>) => {
      const api = await start('api', { PORT: '0', ...apiKeysEnv(viewer), ...extra });
      return { api, url: api.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)![1]! };
    };
    const began = performance.now();
    const seconds = () => ((performance.now() - began) / 1000).toFixed(1);

    // The code before the deploy: every role registers the order saga up to v1.
    const first = await startApi({ ...before, XSAGA_PAYMENT_TIMEOUT_MS: FIRST_PAYMENT_TIMEOUT_MS });
    await start('relay', before);
    const oldWorker = await start('worker', before);
    const oldParticipants = await start('participants', before);
    await start('projector', before);
    // A process held back says so, in the line an operator reads at its start.
    expect(oldWorker.output()).toContain('XSAGA_MACHINE_VERSIONS=orderSaga:1: machine versions above these are not registered in this process');

    const place = async (url: string, from: number, atIndex?: { index: number; run(): Promise<unknown> }): Promise<string[]> => {
      const ids: string[] = [];
      let next = from;
      const client = async () => {
        while (next < from + BATCH) {
          const index = next++;
          if (index === atIndex?.index) await atIndex.run();
          const response = await fetch(`${url}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `${name}-${index}` },
            body: JSON.stringify(orderRequestFor(index, scenarioFor(index, MIX))),
          });
          expect(response.status).toBe(202);
          ids.push(((await response.json()) as { orderId: string }).orderId);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, client));
      return ids;
    };
    // The participants stop while orders are on their way: the sagas then in flight stay at whatever step they had reached, across the deploy.
    const firstIds = await place(first.url, 0, { index: BATCH - 100, run: () => oldParticipants.stop() });
    const placedFirst = seconds();

    // The gate, before any process restarts, with the code about to be deployed.
    const config = loadConfig(env, { roles: [] });
    const gate = async (catalog?: ReturnType<typeof sagaCatalog>) => {
      const printed: string[] = [];
      const exitCode = await runDeployCheckCommand(config, [], { catalog, print: (text) => void printed.push(text) });
      return { exitCode, output: printed.join('\n') };
    };
    const refused = await gate(sagaCatalog({ sagas: sagasWithOrderV1ChangedInPlace }));
    const passed = await gate();
    console.log(`deploy check of a release that changed order saga v1 in place (exit ${refused.exitCode}):\n${refused.output}`);
    console.log(`deploy check of the release with v1 and v2 side by side (exit ${passed.exitCode}):\n${passed.output}`);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(/orderSaga@1: \d+ active, \d+ with another fingerprint[\s\S]*deploy check REFUSED/);
    expect(passed.exitCode).toBe(0);
    expect(passed.output).toMatch(/orderSaga@1: \d+ active, fingerprint matches[\s\S]*deploy check PASSED/);
    const gatedActive = Number(passed.output.match(/orderSaga@1: (\d+) active/)![1]);
    expect(gatedActive).toBeGreaterThan(0);

    // The deploy: workers first, so that no process left registers only v1 when the new api starts sagas on v2.
    const newWorker = await start('worker');
    await oldWorker.stop();
    // Sagas in flight at several steps (versions of their streams), not only those waiting for a payment.
    const stepsInFlight = (await sql.query<{ version: number }>(`select distinct version from xsaga_streams where machine_version = 1 and status = 'active'`)).rows.length;
    expect(stepsInFlight).toBeGreaterThan(1);
    await start('participants');
    const restartedAt = (await sql.query<{ at: string }>('select clock_timestamp()::text as at')).rows[0]!.at;
    // Every order of the new code is reviewed for fraud (scored clean: the mix carries no fraud marker), so v2's own step runs across the processes too.
    const second = await startApi({ XSAGA_PAYMENT_TIMEOUT_MS: SECOND_PAYMENT_TIMEOUT_MS, XSAGA_FRAUD_REVIEW_ABOVE: '0' });
    await first.api.stop();
    const activeOnV1 = async () => Number((await sql.query<{ n: string }>(`select count(*) as n from xsaga_streams where machine_version = 1 and status = 'active'`)).rows[0]!.n);
    const inFlightAtRestart = await activeOnV1();
    expect(inFlightAtRestart).toBeGreaterThan(0);

    const laterIds = await place(second.url, BATCH);
    await eventually(
      async () => {
        for (const p of [newWorker, second.api]) expect(p.child.exitCode, p.output().slice(-2000)).toBeNull();
        const stats = (await (await fetch(`${second.url}/stats/orders`, { headers: viewer.headers })).json()) as { byStatus: Record<string, number> };
        expect((stats.byStatus.COMPLETED ?? 0) + (stats.byStatus.FAILED ?? 0)).toBe(2 * BATCH);
      },
      { timeoutMs: 400_000, intervalMs: 1000 },
    );
    const ended = seconds();

    const streams = new Map(
      (await sql.query<{ stream_id: string; machine_version: number; status: string; updated_at: string }>(
        'select stream_id, machine_version, status, updated_at::text from xsaga_streams where stream_id = any($1::text[])',
        [[...firstIds, ...laterIds]],
      )).rows.map((row) => [row.stream_id, row]),
    );
    const versionsOf = (ids: readonly string[]) => ids.map((id) => `${streams.get(id)?.machine_version}/${streams.get(id)?.status}`);
    expect(new Set(versionsOf(firstIds))).toEqual(new Set(['1/done']));
    expect(new Set(versionsOf(laterIds))).toEqual(new Set(['2/done']));
    // The v1 sagas in flight at the restart were finished by the worker that registers v2 as well.
    const finishedAfterRestart = firstIds.filter((id) => Date.parse(streams.get(id)!.updated_at) > Date.parse(restartedAt)).length;
    expect(finishedAfterRestart).toBeGreaterThan(0);

    const readModel = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias: name });
    cleanups.push(() => readModel.close());
    const store = await createSqlSagaStore(sql, { migrate: false });
    const report = await checkInvariants({ sql, store, readModel });
    expect(report.violations).toEqual([]);
    expect(report.orders).toBe(2 * BATCH);
    expect(report.failedByReason.PAYMENT_TIMEOUT).toBeGreaterThan(0);
    // v2 scores an order once its payment is captured: every completed v2 order was scored, no v1 order was.
    const scored = new Set((await sql.query<{ order_id: string }>('select order_id from fraud_scores where order_id = any($1::text[])', [[...firstIds, ...laterIds]])).rows.map((row) => row.order_id));
    const completedLater = (await Promise.all(laterIds.map(async (id) => ((await readModel.get(id))?.status === 'COMPLETED' ? id : undefined)))).filter((id) => id !== undefined);
    expect(completedLater.length).toBeGreaterThan(0);
    for (const id of completedLater) expect(scored.has(id), `${id} completed on v2 unscored`).toBe(true);
    expect(firstIds.filter((id) => scored.has(id))).toEqual([]);
    const viewVersions = async (ids: readonly string[]) => new Set(await Promise.all(ids.map(async (id) => (await readModel.get(id))?.machineVersion)));
    expect(await viewVersions(firstIds)).toEqual(new Set([1]));
    expect(await viewVersions(laterIds)).toEqual(new Set([2]));

    console.log(
      `version rollout e2e: processes up and ${BATCH} orders placed on v1 by ${placedFirst} s; the gate saw ${gatedActive} active v1 sagas, at ${stepsInFlight} different steps when the worker restarted; ${inFlightAtRestart} were still active ` +
        `when the workers and the api had restarted with v2, ${finishedAfterRestart} v1 sagas ended after the restart; all ${2 * BATCH} ended by ${ended} s ` +
        `(${report.completed} completed, failed ${JSON.stringify(report.failedByReason)})`,
    );
  });
});
