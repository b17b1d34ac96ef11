import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLeaderElection } from '../../adapters/postgres/leaderLock.ts';
import { createElasticsearchOrderReadModel } from '../../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createPgClient } from '../../adapters/postgres/pgClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { startOwnPostgres } from '../../chaos/servers/ownPostgres.ts';
import type { OwnServer } from '../../chaos/servers/ownServer.ts';
import { checkInvariants } from '../../orders/invariants.ts';
import { TEST_ES_URL } from '../support/elasticsearch.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody } from '../support/orderRequests.ts';
import { placeOrdersContinuously, startProductionRoles, type ProductionRoles } from '../support/productionRoles.ts';

describe('a PostgreSQL restart (fast shutdown, then start)', () => {
  let postgres: OwnServer;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    postgres = await startOwnPostgres();
  }, 180_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.warn(`cleanup: ${(error as Error).message}`));
    await postgres?.dispose();
  }, 180_000);

  it('takes leadership from its dead connection and gives it again to one holder only', { timeout: 180_000 }, async () => {
    let leading = 0;
    let mostAtOnce = 0;
    let terms = 0;
    const lead = async () => {
      leading += 1;
      terms += 1;
      mostAtOnce = Math.max(mostAtOnce, leading);
      return async () => {
        leading -= 1;
      };
    };
    const elections = [1, 2].map(() => startLeaderElection({ connectionString: postgres.address, lockKey: 4242, lead, retryMs: 100 }));
    cleanups.push(() => Promise.all(elections.map((election) => election.stop())));
    await eventually(() => expect(leading).toBe(1), { timeoutMs: 30_000 });
    const termsBefore = terms;

    await postgres.stop();
    await eventually(() => expect(leading).toBe(0), { timeoutMs: 30_000 });
    await postgres.start();
    await eventually(() => expect([leading, terms > termsBefore]).toEqual([1, true]), { timeoutMs: 60_000 });
    expect(mostAtOnce).toBe(1);
  });

  it('is ridden out by every role: requests get a 503 meanwhile, and every order placed before, during and after reaches its end', { timeout: 600_000 }, async () => {
    const schema = 'xsaga_restart';
    const roles: ProductionRoles = await startProductionRoles({
      prefix: 'pg_restart',
      pgUrl: postgres.address,
      pgSchema: schema,
      roles: ['api', 'relay', 'worker', 'participants', 'projector'],
    });
    cleanups.push(roles.stop);
    const orders = placeOrdersContinuously(roles.url, { clients: 4, keyPrefix: `restart-${Date.now()}` });
    const failFast = () => roles.assertAllAlive();
    await eventually(() => expect(orders.accepted().length).toBeGreaterThanOrEqual(20), { timeoutMs: 120_000, intervalMs: 100, failFast });

    await postgres.stop();
    const duringOutage = await fetch(`${roles.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `outage-${Date.now()}` },
      body: JSON.stringify(placeOrderBody()),
    }).catch(async (error: unknown) => {
      throw await roles.explainFailedRequest(error);
    });
    expect(duringOutage.status).toBe(503);
    expect(duringOutage.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // Down for a while, orders in flight: the clients keep being refused until it is back.
    const refusedBefore = orders.refusals().get('503') ?? 0;
    await eventually(() => expect(orders.refusals().get('503') ?? 0).toBeGreaterThanOrEqual(refusedBefore + 20), { timeoutMs: 60_000, intervalMs: 100, failFast });
    await postgres.start();

    const acceptedBeforeRestart = orders.accepted().length;
    await eventually(() => expect(orders.accepted().length).toBeGreaterThanOrEqual(acceptedBeforeRestart + 20), { timeoutMs: 180_000, intervalMs: 100, failFast });
    const placed = await orders.stop();
    await eventually(async () => expect(await roles.terminalCount()).toBe(placed.length), { timeoutMs: 300_000, intervalMs: 500, failFast });
    roles.assertAllAlive();

    const sql = await createPgClient({ connectionString: postgres.address, schema });
    cleanups.push(() => sql.close());
    const readModel = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias: roles.alias });
    cleanups.push(() => readModel.close());
    const report = await checkInvariants({ sql, store: await createSqlSagaStore(sql, { migrate: false }), readModel });
    expect(report.violations).toEqual([]);
    expect(report.orders).toBe(placed.length);
    if (process.env.XSAGA_TEST_SHOW_ROLES) for (const [role, running] of roles.processes) console.log(`--- ${role}\n${running.output()}`);
    console.log(`postgres restart: ${placed.length} orders, ${report.completed} completed; refusals while it was down: ${JSON.stringify([...orders.refusals()])}`);
  });
});
