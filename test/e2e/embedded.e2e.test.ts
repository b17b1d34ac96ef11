import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { checkInvariants } from '../../orders/invariants.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { tempDataDir } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';

const ORDERS = 1000;
const CONCURRENCY = 32;

describe('xsaga on its embedded default, as a process driven over HTTP', () => {
  let server: RunningProcess | undefined;
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it(`takes ${ORDERS} orders with every failure mode to a terminal state with every invariant holding`, { timeout: 300_000 }, async () => {
    const data = await tempDataDir();
    try {
      const started = await startNodeProcess(['app/main.ts', 'start'], {
        // Roomy: under this closed loop an answered payment may take seconds, and must not time out.
        env: { PORT: '0', XSAGA_DATA_DIR: data.dir, XSAGA_PAYMENT_TIMEOUT_MS: '10000' },
        ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      });
      server = started;
      const url = started.match[1]!;
      // No key configured: the first start made an operator key in the data directory and said where.
      const keyFile = join(data.dir, 'operator.key');
      await eventually(() => expect(started.output()).toContain(`operator key created in ${keyFile}`));
      const operator = { authorization: `Bearer ${(await readFile(keyFile, 'utf8')).trim()}` };
      expect((await fetch(`${url}/stats/orders`)).status).toBe(401);

      const ids: string[] = [];
      let next = 0;
      const send = async () => {
        while (next < ORDERS) {
          const index = next++;
          const response = await fetch(`${url}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(orderRequestFor(index, scenarioFor(index))),
          });
          expect(response.status).toBe(202);
          ids.push(((await response.json()) as { orderId: string }).orderId);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, send));
      expect(new Set(ids).size).toBe(ORDERS);

      await eventually(
        async () => {
          const stats = (await (await fetch(`${url}/stats/orders`, { headers: operator })).json()) as { byStatus: Record<string, number> };
          expect(stats.byStatus.PENDING).toBe(0);
          expect(stats.byStatus.COMPLETED! + stats.byStatus.FAILED!).toBe(ORDERS);
        },
        { timeoutMs: 240_000, intervalMs: 250 },
      );

      // The server's read model, as clients see it.
      const served = createMemoryOrderReadModel();
      for (const id of ids) {
        const view = (await (await fetch(`${url}/orders/${id}`)).json()) as OrderView;
        await served.upsert([{ id, version: view.version, view }]);
      }
      expect(await started.stop('SIGTERM')).toBe(0);

      const sql = await createPgliteClient(data.dir);
      const store = await createSqlSagaStore(sql);
      const report = await checkInvariants({ sql, store, readModel: served });
      await sql.close();
      expect(report.violations).toEqual([]);
      expect(report.orders).toBe(ORDERS);
      expect(report.pending).toBe(0);
      expect(report.completed).toBeGreaterThan(ORDERS * 0.8);
      expect(Object.keys(report.failedByReason).sort()).toEqual(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT', 'UNDELIVERABLE']);
    } finally {
      await data.remove();
    }
  });
});
