import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../chaos/servers/freePort.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody } from '../support/orderRequests.ts';
import { freshPgSchema, TEST_PG_URL } from '../support/postgres.ts';
import { startProductionRoles } from '../support/productionRoles.ts';

describe('roles started while Elasticsearch is away', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('start without it, take orders and run them, and the api reads them from the event store', { timeout: 300_000 }, async () => {
    const pg = await freshPgSchema('xsaga_no_es');
    cleanups.push(pg.dispose);
    // Nothing listens on this port: only the projector, which writes the read model, needs it to start.
    const elasticsearchUrl = `http://127.0.0.1:${await freePort()}`;
    const roles = await startProductionRoles({
      prefix: 'no_es',
      pgUrl: TEST_PG_URL,
      pgSchema: pg.schema,
      roles: ['api', 'relay', 'worker', 'participants'],
      env: { XSAGA_ES_URL: elasticsearchUrl },
    });
    cleanups.push(() => roles.stop());

    const placed = await fetch(`${roles.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(placeOrderBody()) });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    const outputs = () => [...roles.processes].map(([role, running]) => `--- ${role}\n${running.output().slice(-3000)}`).join('\n');
    await eventually(
      async () => {
        const read = await fetch(`${roles.url}/orders/${orderId}`);
        expect(read.status).toBe(200);
        expect(read.headers.get('xsaga-view-source')).toBe('event-store');
        const view = (await read.json()) as { status: string; state: unknown };
        expect(view.status, `${JSON.stringify(view.state)}\n${outputs()}`).toBe('COMPLETED');
      },
      { timeoutMs: 120_000, intervalMs: 250, failFast: roles.assertAllAlive },
    );
    const ready = await fetch(`${roles.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).toEqual({ eventStore: 'ok', readModel: 'down' });
  });
});
