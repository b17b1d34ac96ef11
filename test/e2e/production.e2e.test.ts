import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearchOrderReadModel } from '../../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { quantile } from '../../app/stats.ts';
import { checkInvariants } from '../../orders/invariants.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { consumerGroupsFor, topicsFor } from '../../orders/topics.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { TEST_ES_URL } from '../support/elasticsearch.ts';
import { eventually } from '../support/eventually.ts';
import { createKafkaInspector, type PartitionOffsets } from '../support/kafkaInspector.ts';
import { lastHeldPartitions, partitionOfKey } from '../support/partitionOwnership.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';
import { productionEnv } from '../support/productionEnv.ts';

const ORDERS = 2000;
const CONCURRENCY = 32;
const KILL_AFTER = 700;
const PARTITIONS = 8;

const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);

/** What the killed worker left behind: the inbox partitions it held and how far it had committed them. */
type Kill = Readonly<{ memberId: string; partitions: readonly number[]; endAtKill: PartitionOffsets; committedAtKill: PartitionOffsets; killedAt: string }>;

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
    const env = { ...production.env, XSAGA_PAYMENT_TIMEOUT_MS: '15000', XSAGA_PARTITIONS: String(PARTITIONS) };
    const inbox = topicsFor(production.topicPrefix).sagaInbox;
    const workers = consumerGroupsFor(production.topicPrefix).sagaWorker;
    const kafka = await createKafkaInspector();
    cleanups.push(() => kafka.close());
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
    const survivingWorker = await start('worker');
    await start('participants');
    await start('projector');

    // Kafka's view of the group, tied to each process by the member id the process logged at its join.
    const heldBy = async (worker: RunningProcess) => {
      const said = lastHeldPartitions(worker.output(), workers, inbox);
      const { state, members } = await kafka.assignment(workers, inbox);
      expect(state).toBe('Stable');
      const member = members.find((m) => m.memberId === said?.memberId);
      expect(member, `the group's members ${JSON.stringify(members)} include the one the worker logged: ${JSON.stringify(said)}`).toBeDefined();
      expect(member!.partitions).toEqual(said!.partitions);
      return { members, member: member! };
    };
    await eventually(
      async () => {
        const { members, member } = await heldBy(doomedWorker);
        expect(members).toHaveLength(2);
        expect(member.partitions.length).toBeGreaterThan(0);
        expect((await heldBy(survivingWorker)).member.partitions.length).toBeGreaterThan(0);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const killDoomedWorker = async (): Promise<Kill> => {
      const { member } = await eventually(() => heldBy(doomedWorker), { timeoutMs: 30_000, intervalMs: 100 });
      await doomedWorker.stop('SIGKILL');
      // The database's clock, which stamps every commit: rows stamped later were written after the worker died.
      const killedAt = (await production.sql.query<{ at: string }>('select clock_timestamp()::text as at')).rows[0]!.at;
      // What it committed is final once it is dead; the ends are read after that, so no end is older than a commit
      // (read before the kill, an end could fall behind what the worker committed until it died).
      const committedAtKill = await kafka.committedOffsets(workers, inbox);
      return { ...member, endAtKill: await kafka.endOffsets(inbox), committedAtKill, killedAt };
    };

    const began = performance.now();
    const ids: string[] = [];
    let next = 0;
    let killing: Promise<Kill> | undefined;
    const send = async () => {
      while (next < ORDERS) {
        const index = next++;
        if (index === KILL_AFTER) {
          killing = killDoomedWorker();
          // Awaited once the orders are sent; until then a failure must not count as unhandled.
          killing.catch(() => undefined);
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
    const kill = await killing!;
    // The killed worker held partitions with work on them that it had not committed: handled, not yet fetched, or
    // sent after it died (the orders keep coming). A group that never committed a partition starts it from the beginning.
    const leftAtKill = kill.partitions.map((p) => kill.endAtKill.get(p)! - maxOf(0n, kill.committedAtKill.get(p) ?? -1n));
    expect(leftAtKill.reduce((sum, n) => sum + n, 0n)).toBeGreaterThan(0n);

    await eventually(
      async () => {
        const stats = (await (await fetch(`${url}/stats/orders`, { headers: viewer.headers })).json()) as { byStatus: Record<string, number> };
        expect(stats.byStatus.COMPLETED! + stats.byStatus.FAILED!).toBe(ORDERS);
      },
      { timeoutMs: 400_000, intervalMs: 500 },
    );
    const seconds = (performance.now() - began) / 1000;

    // The survivor took the killed worker's partitions over, and its group committed past everything they held at the kill.
    const { members } = await heldBy(survivingWorker);
    expect(members).toHaveLength(1);
    expect(members[0]!.partitions).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p));
    await eventually(
      async () => {
        const committed = await kafka.committedOffsets(workers, inbox);
        for (const p of kill.partitions) expect(committed.get(p), `committed offset of ${inbox}[${p}]`).toBeGreaterThanOrEqual(kill.endAtKill.get(p)!);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    // Sagas keyed to those partitions, in flight at the kill, were finished by the survivor: the only worker left.
    const handedOver = ids.filter((id) => kill.partitions.includes(partitionOfKey(id, PARTITIONS)));
    const finished = await production.sql.query<{ in_flight: string; placed_after: string }>(
      `select count(*) filter (where created_at < $2::timestamptz) as in_flight, count(*) filter (where created_at > $2::timestamptz) as placed_after
         from xsaga_streams where stream_id = any($1::text[]) and status = 'done' and updated_at > $2::timestamptz`,
      [handedOver, kill.killedAt],
    );
    const finishedBySurvivor = { inFlight: Number(finished.rows[0]!.in_flight), placedAfter: Number(finished.rows[0]!.placed_after) };
    expect(finishedBySurvivor.inFlight).toBeGreaterThan(0);
    expect(finishedBySurvivor.placedAfter).toBeGreaterThan(0);

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
        `it held ${inbox}[${kill.partitions.join(',')}] with ${leftAtKill.join('/')} messages uncommitted; the survivor finished ` +
        `${finishedBySurvivor.inFlight} of their sagas in flight at the kill and ${finishedBySurvivor.placedAfter} placed after; ` +
        `saga latency p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms`,
    );
  });
});
