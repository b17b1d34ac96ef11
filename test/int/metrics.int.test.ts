import { afterAll, describe, expect, it } from 'vitest';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { eventually } from '../support/eventually.ts';
import { freshPgSchema, TEST_PG_URL } from '../support/postgres.ts';
import { startProductionRoles, type ProductionRoles } from '../support/productionRoles.ts';
import { hasSample, parsePrometheusText, valueOf, type Sample } from '../support/prometheusText.ts';

const ROLES = ['api', 'relay', 'worker', 'participants', 'projector'] as const;
const PARTITIONS = 4;

describe('GET /metrics of every role process in production mode, on PostgreSQL, Kafka, Elasticsearch and Redis', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('shows each role what it does: the relay leader the outbox and every group\'s lag, the worker its sagas, and their sums match the orders', { timeout: 600_000 }, async () => {
    const pg = await freshPgSchema('xsaga_metrics');
    cleanups.push(pg.dispose);
    const roles: ProductionRoles = await startProductionRoles({
      prefix: 'metrics',
      pgUrl: TEST_PG_URL,
      pgSchema: pg.schema,
      roles: ROLES,
      // Every process gets a keyless metrics listener on a free loopback port, and says where.
      env: { XSAGA_METRICS_PORT: '0', XSAGA_PARTITIONS: String(PARTITIONS), XSAGA_PAYMENT_TIMEOUT_MS: '20000' },
    });
    cleanups.push(() => roles.stop());
    const metricsUrl = (role: string) => {
      const found = roles.processes.get(role)!.output().match(/xsaga metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
      expect(found, `the ${role} process names its metrics listener`).not.toBeNull();
      return found![1]!;
    };
    const scrape = async (role: string): Promise<Sample[]> => {
      const response = await fetch(metricsUrl(role));
      expect(response.status).toBe(200);
      return parsePrometheusText(await response.text());
    };
    const scrapeAll = async () => new Map(await Promise.all(ROLES.map(async (role) => [role, await scrape(role)] as const)));
    const prefix = roles.alias.replaceAll('_', '-');
    const projectorGroup = `${prefix}.projector`;

    let placed = 0;
    const place = async (count: number) => {
      await Promise.all(
        Array.from({ length: count }, async () => {
          const index = placed++;
          const response = await fetch(`${roles.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(orderRequestFor(index, scenarioFor(index))) });
          expect(response.status).toBe(202);
        }),
      );
    };
    await place(30);
    await eventually(async () => expect(await roles.terminalCount()).toBe(30), { timeoutMs: 180_000, intervalMs: 500, failFast: roles.assertAllAlive });

    // Only the relay's leader reports the system's backlog and lag; the other roles report what they do themselves.
    const relay = await eventually(
      async () => {
        const samples = await scrape('relay');
        expect(valueOf(samples, 'xsaga_relay_leader')).toBe(1);
        expect(valueOf(samples, 'xsaga_metrics_source_up', { source: 'store_backlog' })).toBe(1);
        expect(valueOf(samples, 'xsaga_metrics_source_up', { source: 'consumer_lag' })).toBe(1);
        expect(hasSample(samples, 'xsaga_outbox_unpublished')).toBe(true);
        expect(valueOf(samples, 'xsaga_outbox_unpublished')).toBe(0);
        expect(valueOf(samples, 'xsaga_consumer_lag')).toBe(0);
        return samples;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Every partition of each topic a group reads; the projector reads the facts of both hosted sagas.
    for (const group of ['saga-worker', 'projector', 'participant.payment', 'participant.inventory', 'participant.shipping']) {
      expect(relay.filter((s) => s.name === 'xsaga_consumer_lag' && s.labels.group === `${prefix}.${group}`), group).toHaveLength(group === 'projector' ? 2 * PARTITIONS : PARTITIONS);
    }
    expect(hasSample(relay, 'xsaga_outbox_oldest_unpublished_age_seconds')).toBe(true);
    expect(hasSample(relay, 'xsaga_timers_overdue')).toBe(true);
    expect(hasSample(relay, 'xsaga_process_info', { mode: 'production', roles: 'relay' })).toBe(true);
    const worker = await scrape('worker');
    expect(hasSample(worker, 'xsaga_consumer_lag')).toBe(false);
    expect(hasSample(worker, 'xsaga_outbox_unpublished')).toBe(false);

    // A projector that does not run leaves its group behind: the relay's leader sees the lag grow, and shrink once it is back.
    const projector = roles.processes.get('projector')!.child;
    projector.kill('SIGSTOP');
    let lagWhilePaused: number;
    try {
      await place(20);
      lagWhilePaused = await eventually(
        async () => {
          const lag = valueOf(await scrape('relay'), 'xsaga_consumer_lag', { group: projectorGroup });
          expect(lag).toBeGreaterThanOrEqual(20);
          return lag;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
    } finally {
      projector.kill('SIGCONT');
    }
    await eventually(async () => expect(await roles.terminalCount()).toBe(50), { timeoutMs: 240_000, intervalMs: 500, failFast: roles.assertAllAlive });
    const all = await eventually(
      async () => {
        const scraped = await scrapeAll();
        expect(valueOf(scraped.get('relay')!, 'xsaga_consumer_lag')).toBe(0);
        expect(valueOf(scraped.get('relay')!, 'xsaga_outbox_unpublished')).toBe(0);
        return scraped;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    // Counters count what each process committed; summed over the processes they are what happened.
    const sum = (name: string, labels: Record<string, string> = {}) => [...all.values()].reduce((total, samples) => total + valueOf(samples, name, labels), 0);
    const stats = (await (await fetch(`${roles.url}/stats/orders`, { headers: roles.viewer.headers })).json()) as { byStatus: Record<string, number> };
    expect(sum('xsaga_sagas_started_total')).toBe(50);
    expect(valueOf(all.get('api')!, 'xsaga_sagas_started_total')).toBe(50);
    expect(sum('xsaga_sagas_completed_total')).toBe(stats.byStatus.COMPLETED);
    expect(sum('xsaga_sagas_failed_total')).toBe(stats.byStatus.FAILED);
    expect(sum('xsaga_saga_duration_seconds_count')).toBe(50);
    expect(valueOf(all.get('worker')!, 'xsaga_batch_size_count', { consumer: 'saga-worker' })).toBeGreaterThan(0);
    expect(valueOf(all.get('projector')!, 'xsaga_batch_size_sum', { consumer: 'projector' })).toBeGreaterThanOrEqual(50);
    expect(valueOf(all.get('participants')!, 'xsaga_participant_commands_total', { participant: 'shipping', outcome: 'performed', reply: 'ShipmentCreated' })).toBe(stats.byStatus.COMPLETED);
    expect(valueOf(all.get('api')!, 'xsaga_http_requests_total', { method: 'POST', route: '/orders', status: '202' })).toBe(50);
    expect(valueOf(all.get('api')!, 'xsaga_sagas_needing_attention')).toBe(0);
    expect(sum('xsaga_outbox_published_total')).toBeGreaterThan(50 * 5);
    console.log(
      `metrics in production mode: 50 orders, ${stats.byStatus.COMPLETED} completed and ${stats.byStatus.FAILED} failed by the read model and by the counters; ` +
        `the paused projector's group lagged by ${lagWhilePaused} messages, then 0`,
    );
  });
});
