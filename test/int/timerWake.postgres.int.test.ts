import { afterEach, describe, expect, it } from 'vitest';
import { createPgClient } from '../../adapters/postgres/pgClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { freshPgSchema, TEST_PG_URL } from '../support/postgres.ts';
import { eventually } from '../support/eventually.ts';
import { timerWakeScenario } from '../support/timerWakeScenario.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('timer scheduler on PostgreSQL', () => {
  it("fires a timer that another process's commit armed to be due before its next look, told through NOTIFY", async () => {
    const { sql, schema, dispose } = await freshPgSchema();
    cleanups.push(dispose);
    const schedulerStore = await createSqlSagaStore(sql);
    // The worker's process: a client of its own on the same schema.
    const workerSql = await createPgClient({ connectionString: TEST_PG_URL, schema });
    cleanups.push(() => workerSql.close());
    await timerWakeScenario(schedulerStore, await createSqlSagaStore(workerSql));
  });

  it('does not hear the timers of another schema', async () => {
    const other = await freshPgSchema();
    cleanups.push(other.dispose);
    const mine = await freshPgSchema();
    cleanups.push(mine.dispose);
    const heard: string[] = [];
    const stop = await (await createSqlSagaStore(mine.sql)).watchArmedTimers((dueAt) => heard.push(`mine ${dueAt}`));
    cleanups.push(stop);
    const otherStore = await createSqlSagaStore(other.sql);
    const stopOther = await otherStore.watchArmedTimers((dueAt) => heard.push(`other ${dueAt}`));
    cleanups.push(stopOther);
    const dueAt = new Date(Date.now() + 200).toISOString();
    await otherStore.commit([
      { streamId: 's', machineId: 'm', machineVersion: 1, expectedVersion: 0, events: [], status: 'active', outbox: [], timersArmed: [{ timerId: 't', dueAt, event: { type: 'T' }, armedVersion: 1 }], timersCancelled: [], appliedMessageIds: [] },
    ]);
    // The other schema's own watcher hears it (in process, and once more through NOTIFY); this one's never does.
    await eventually(() => expect(heard.filter((h) => h.startsWith('other')).length).toBe(2));
    expect(heard.filter((h) => h.startsWith('mine'))).toEqual([]);
  });
});
