import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { runMigrateCommand } from '../../app/commands/migrate.ts';
import { loadConfig } from '../../app/config.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { orderSagaBundle } from '../../orders/orderSagaBundle.ts';
import { deployGate } from '../../runtime/deployGate.ts';
import { machineFingerprint } from '../../runtime/machineFingerprint.ts';
import { migrateSagas } from '../../runtime/migrateSagas.ts';
import { replayStream } from '../../runtime/sagaFold.ts';
import { createMessage } from '../../runtime/message.ts';
import { MACHINE_MIGRATED, type MachineMigratedData } from '../../runtime/sagaMigration.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { verifyReplay } from '../../runtime/verifyReplay.ts';
import { defineSaga } from '../../sdk/defineSaga.ts';
import { HOUR_MS, permitMachineV2, permitMigration, permitSaga, permitSagaWith } from '../fixtures/permitSaga.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { permitMessage, permitWaitingIn } from '../support/permitSagas.ts';
import { eventStoreRows } from '../support/storeRows.ts';
import { testClock } from '../support/testClock.ts';

const both = sagaCatalog({ sagas: [permitSagaWith([1, 2])] });

describe('migrating permits from version 1 to version 2', () => {
  const clock = testClock(Date.UTC(2026, 0, 1));
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  const printed: string[] = [];
  const migrate = (args: string[]) =>
    runMigrateCommand(loadConfig({ XSAGA_DATA_DIR: data.dir }, { roles: [] }), ['permitSaga', '--from', '1', '--to', '2', ...args], { catalog: both, clock, print: (text) => void printed.push(text) });
  const withSql = async <T>(use: (sql: SqlClient) => Promise<T>): Promise<T> => {
    const sql = await createPgliteClient(data.dir);
    try {
      return await use(sql);
    } finally {
      await sql.close();
    }
  };

  beforeAll(async () => {
    data = await tempDataDir();
    const system = await startEmbedded({ XSAGA_DATA_DIR: data.dir }, { sagas: [orderSagaBundle, permitSagaWith([1])], clock });
    try {
      await permitWaitingIn(system, clock, 'permit-checking', 'checking');
      await permitWaitingIn(system, clock, 'permit-waiting', 'waitingApproval');
      await permitWaitingIn(system, clock, 'permit-held', 'onHold');
      await permitWaitingIn(system, clock, 'permit-granted', 'granted');
    } finally {
      await system.stop();
    }
    clock.advance(HOUR_MS / 2);
  });
  afterAll(() => data?.remove());

  it('plans in a dry run, refusing the state the migration does not map, and writes nothing', async () => {
    const before = await withSql(eventStoreRows);
    expect(await migrate(['--dry-run', '--operator', 'ops'])).toBe(1);
    expect(printed.at(-1)).toContain('would migrate permit-checking: checking → checking');
    expect(printed.at(-1)).toContain('would migrate permit-waiting: waitingApproval → review.waitingApproval');
    expect(printed.at(-1)).toContain('REFUSED permit-held (onHold): the migration does not map onHold');
    expect(printed.at(-1)).toContain('dry run: 2 saga(s) would migrate, 1 refused');
    expect(await migrate(['--dry-run', '--where', 'state=waitingApproval', '--json'])).toBe(0);
    expect(JSON.parse(printed.at(-1)!)).toEqual({ dryRun: true, migrated: [{ streamId: 'permit-waiting', fromState: 'waitingApproval', toState: 'review.waitingApproval' }], refused: [] });
    // Mapped back into the check, an approved permit's saga would wait for a reply to a check it never asked for again.
    const store = await createSqlSagaStore(await createPgliteClient(data.dir));
    try {
      const backwards = { ...permitMigration, states: { waitingApproval: { to: 'checking' } } };
      const report = await migrateSagas({ store, registry: both.registry, migration: backwards, operator: 'ops', now: () => new Date(clock.now()).toISOString(), state: 'waitingApproval' });
      expect(report.migrated).toEqual([]);
      expect(report.refused).toEqual([{ streamId: 'permit-waiting', fromState: 'waitingApproval', reason: 'checking waits for a reply to CheckPermit, which the saga never asked for' }]);
      const nowhere = { ...permitMigration, states: { checking: { to: 'nowhere' }, waitingApproval: { to: 'review', context: () => { throw new Error('no reviewer'); } } } };
      const lost = await migrateSagas({ store, registry: both.registry, migration: nowhere, operator: 'ops', now: () => new Date(clock.now()).toISOString(), dryRun: true });
      expect(lost.refused.map((saga) => saga.reason)).toEqual([expect.stringContaining('nowhere is no state of permitSaga@2'), expect.stringContaining('onHold'), 'the context mapping of waitingApproval failed: no reviewer']);
    } finally {
      await store.close();
    }
    expect(await withSql(eventStoreRows)).toBe(before);
    expect(await migrate(['--from', 'x'])).toBe(2);
    expect(await runMigrateCommand(loadConfig({ XSAGA_DATA_DIR: data.dir }, { roles: [] }), ['permitSaga', '--from', '2', '--to', '3'], { catalog: both, print: () => undefined })).toBe(2);
  });

  it('moves the sagas in mapped states to version 2 with a MachineMigrated event, its timers, and leaves the refused one on version 1', { timeout: 120_000 }, async () => {
    expect(await migrate(['--operator', 'ops'])).toBe(1);
    const store = await createSqlSagaStore(await createPgliteClient(data.dir));
    try {
      const heads = new Map((await store.listStreams({ limit: 10 })).map((head) => [head.streamId, head]));
      expect(heads.get('permit-checking')).toMatchObject({ machineVersion: 2, version: 2, status: 'active', machineFingerprint: machineFingerprint(permitMachineV2) });
      expect(heads.get('permit-waiting')).toMatchObject({ machineVersion: 2, version: 3, machineFingerprint: machineFingerprint(permitMachineV2) });
      expect(heads.get('permit-held')).toMatchObject({ machineVersion: 1, version: 3 });
      const [migrated] = (await store.readStream('permit-waiting', 3)).map((event) => event.message);
      expect(migrated).toMatchObject({
        type: MACHINE_MIGRATED,
        data: { from: 1, to: 2, fromState: 'waitingApproval', toState: 'review.waitingApproval', operator: 'ops', at: new Date(clock.now()).toISOString(), state: { context: { reviewer: 'migrated' } } },
      });
      // The runtime's fold, from the events alone (no snapshot): v2 starts again from the state the migration recorded.
      const v2 = both.registry.get('permitSaga', 2)!;
      const replayed = replayStream(v2, { head: heads.get('permit-checking')!, snapshot: undefined, events: await store.readStream('permit-checking', 1) });
      expect(replayed.snapshot.value).toBe('checking');
      expect([...replayed.awaiting]).toEqual([['permit-checking/1/0', 'CheckPermit']]);
      expect(replayed.times.startedAt).toBe(new Date(Date.UTC(2026, 0, 1)).toISOString());
      const waiting = replayStream(v2, { head: heads.get('permit-waiting')!, snapshot: undefined, events: await store.readStream('permit-waiting', 1) });
      expect(waiting.snapshot).toMatchObject({ value: { review: 'waitingApproval' }, context: { reviewer: 'migrated' } });
      // Replay of the migrated streams: through v1 up to the migration, then v2 from the state it recorded.
      expect((await verifyReplay({ store, registry: both.registry })).divergences).toEqual([]);
      // Once migrated, a stream no longer needs v1: only the one left on it keeps the gate shut.
      const withoutV1 = await deployGate({ store, registry: sagaCatalog({ sagas: [permitSagaWith([2])] }).registry });
      expect(withoutV1.refusals).toEqual([expect.stringMatching(/permitSaga@1 is not registered, and 1 active/)]);
      expect(withoutV1.divergences).toEqual([]);
    } finally {
      await store.close();
    }
    const timers = await withSql(async (sql) =>
      (await sql.query<{ stream_id: string; timer_id: string; due_at: Date | string }>('select stream_id, timer_id, due_at from xsaga_timers order by stream_id')).rows.map((row) => ({ ...row, due_at: new Date(row.due_at).toISOString() })),
    );
    // The v1 deadline of the waiting permit is gone; v2's is armed, counting from the migration. No other permit waits on a timer.
    expect(timers).toEqual([{ stream_id: 'permit-waiting', timer_id: `xstate.after.${2 * HOUR_MS}.permitSaga.review.waitingApproval`, due_at: new Date(clock.now() + 2 * HOUR_MS).toISOString() }]);
  });

  it('finishes the migrated sagas on version 2, with the awaited reply carried over and the new deadline, while new sagas start on version 2', { timeout: 120_000 }, async () => {
    const system = await startEmbedded({ XSAGA_DATA_DIR: data.dir }, { sagas: [orderSagaBundle, permitSagaWith([1, 2])], clock });
    try {
      await system.runtime.handle([permitMessage(clock, 'permit-checking', 'PermitChecked', 10)]);
      const checked = await system.runtime.loadStored('permit-checking');
      expect(checked?.definition.version).toBe(2);
      expect(checked?.snapshot.value).toEqual({ review: 'waitingApproval' });
      await system.runtime.handle([permitMessage(clock, 'permit-checking', 'PermitApproved', 11)]);
      expect((await system.runtime.loadStored('permit-checking'))?.snapshot.value).toBe('granted');

      expect((await system.runtime.loadStored('permit-waiting'))?.snapshot.context).toMatchObject({ reviewer: 'migrated' });
      clock.advance(2 * HOUR_MS);
      await system.scheduler.fireDue();
      await eventually(async () => expect((await system.runtime.loadStored('permit-waiting'))?.snapshot.value).toBe('expired'), { timeoutMs: 10_000 });

      await permitWaitingIn(system, clock, 'permit-new', 'checking');
      expect((await system.adapters.store.load('permit-new'))?.head).toMatchObject({ machineVersion: 2, machineFingerprint: machineFingerprint(permitMachineV2) });
      expect((await verifyReplay({ store: system.adapters.store, registry: both.registry })).divergences).toEqual([]);
    } finally {
      await system.stop();
    }
  });

  it("is checked by verify-replay's reference: a migration that says the saga left a state it was not in diverges", async () => {
    const store = await createSqlSagaStore(await createPgliteClient());
    try {
      const occurredAt = new Date(clock.now()).toISOString();
      const opened = createMessage('PermitOpened', {}, { messageId: 'forged/opened', correlationId: 'forged', occurredAt });
      const data: MachineMigratedData = { from: 1, to: 2, fromState: 'waitingApproval', toState: 'review.waitingApproval', operator: 'ops', at: occurredAt, state: { value: { review: 'waitingApproval' }, context: { permitId: 'forged', openedAt: occurredAt } }, awaiting: [] };
      const forged = createMessage(MACHINE_MIGRATED, data, { messageId: 'forged/2/migrated', correlationId: 'forged', occurredAt });
      const change = { streamId: 'forged', machineId: 'permitSaga', status: 'active' as const, outbox: [], timersArmed: [], timersCancelled: [], appliedMessageIds: [] };
      await store.commit([{ ...change, machineVersion: 1, expectedVersion: 0, events: [opened] }]);
      await store.commit([{ ...change, machineVersion: 2, expectedVersion: 1, events: [forged] }]);
      const report = await verifyReplay({ store, registry: both.registry });
      expect(report.divergences).toEqual([expect.objectContaining({ streamId: 'forged', version: 2, kind: 'rejected-event', detail: expect.stringContaining('migrated the saga from waitingApproval, but the replay of version 1 is in checking') })]);
      // The runtime's fold, which does not need v1, takes the recorded state as it is.
      expect(replayStream(both.registry.get('permitSaga', 2)!, (await store.load('forged'))!).snapshot.value).toEqual({ review: 'waitingApproval' });
    } finally {
      await store.close();
    }
  });

  it('is declared by the saga between versions it registers, and collected by the catalog', () => {
    expect(both.migrations).toEqual([permitMigration]);
    const strayed = (migration: typeof permitMigration) => defineSaga({ id: 'permitSaga', setup: (setup) => ({ ...permitSaga.setup(setup), migrations: [migration] }) });
    expect(() => sagaCatalog({ sagas: [strayed({ ...permitMigration, to: 3 })] })).toThrow(/migration permitSaga 1 → 3 is between versions it does not register/);
    expect(() => sagaCatalog({ sagas: [strayed({ ...permitMigration, machineId: 'ticketSaga' })] })).toThrow(/brings a migration of another machine/);
  });

  it('moves a saga that a running worker holds in its cache: the worker finds it moved at its next commit and carries on, on version 2', { timeout: 120_000 }, async () => {
    const system = await startEmbedded({}, { sagas: [orderSagaBundle, permitSaga], clock });
    try {
      const v1 = system.registry.get('permitSaga', 1)!;
      await system.runtime.start(v1, createMessage('PermitOpened', {}, { messageId: 'cached/opened', correlationId: 'cached', occurredAt: new Date(clock.now()).toISOString() }));
      await system.runtime.handle([permitMessage(clock, 'cached', 'PermitChecked', 1)]);
      expect((await system.runtime.hydrate('cached'))?.definition.version).toBe(1);
      const report = await migrateSagas({ store: system.adapters.store, registry: system.registry, migration: permitMigration, operator: 'ops', now: () => new Date(clock.now()).toISOString() });
      expect(report.migrated).toEqual([{ streamId: 'cached', fromState: 'waitingApproval', toState: 'review.waitingApproval' }]);
      await system.runtime.handle([permitMessage(clock, 'cached', 'PermitApproved', 2)]);
      const events = await system.adapters.store.readStream('cached', 1);
      expect(events.map((event) => event.message.type)).toEqual(['PermitOpened', 'PermitChecked', MACHINE_MIGRATED, 'PermitApproved']);
      const saga = await system.runtime.loadStored('cached');
      expect(saga?.definition.version).toBe(2);
      expect(saga?.snapshot.value).toBe('granted');
    } finally {
      await system.stop();
    }
  });
});
