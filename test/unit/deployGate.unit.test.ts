import { createMachine } from 'xstate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { runDeployCheckCommand } from '../../app/commands/deployCheck.ts';
import { loadConfig } from '../../app/config.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { orderSagaBundle } from '../../orders/orderSagaBundle.ts';
import { deployGate, type DeployGateReport } from '../../runtime/deployGate.ts';
import { canonicalJson, machineFingerprint } from '../../runtime/machineFingerprint.ts';
import { createMessage } from '../../runtime/message.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { verifyStream } from '../../runtime/verifyReplay.ts';
import { permitMachineV1, permitMachineV1Shortcut, permitMachineV1Widened, permitMachineV2, permitSagaWith } from '../fixtures/permitSaga.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { permitMessage, permitWaitingIn } from '../support/permitSagas.ts';
import { testClock } from '../support/testClock.ts';

const catalogOf = (...args: Parameters<typeof permitSagaWith>) => sagaCatalog({ sagas: [permitSagaWith(...args)] });

describe('the deploy gate on a store of permits started on version 1', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  const gate = async (catalog: ReturnType<typeof catalogOf>): Promise<DeployGateReport> => {
    const store: SagaStore = await createSqlSagaStore(await createPgliteClient(data.dir));
    try {
      return await deployGate({ store, registry: catalog.registry, pageSize: 2 });
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    data = await tempDataDir();
    const clock = testClock(Date.UTC(2026, 0, 1));
    const system = await startEmbedded({ XSAGA_DATA_DIR: data.dir }, { sagas: [orderSagaBundle, permitSagaWith([1])], clock });
    try {
      await permitWaitingIn(system, clock, 'permit-a', 'checking');
      await permitWaitingIn(system, clock, 'permit-b', 'waitingApproval');
      await permitWaitingIn(system, clock, 'permit-c', 'onHold');
      await permitWaitingIn(system, clock, 'permit-d', 'granted');
    } finally {
      await system.stop();
    }
  });
  afterAll(() => data?.remove());

  it('stores the fingerprint of the machine with each stream, the same for the same definition and another for another', async () => {
    const store = await createSqlSagaStore(await createPgliteClient(data.dir));
    try {
      const heads = await store.listStreams({ limit: 10 });
      expect(heads.map((head) => head.machineFingerprint)).toEqual(heads.map(() => machineFingerprint(permitMachineV1)));
      expect((await store.listStreams({ limit: 10, status: 'active' })).map((head) => head.streamId)).toEqual(['permit-a', 'permit-b', 'permit-c']);
    } finally {
      await store.close();
    }
    expect(machineFingerprint(permitMachineV1)).toMatch(/^[0-9a-f]{64}$/);
    expect(machineFingerprint(createMachine(permitMachineV1.config))).toBe(machineFingerprint(permitMachineV1));
    expect(machineFingerprint(permitMachineV1Widened)).not.toBe(machineFingerprint(permitMachineV1));
    expect(machineFingerprint(permitMachineV2)).not.toBe(machineFingerprint(permitMachineV1));
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe('{"a":{"c":3,"d":[2,{"e":0,"f":1}]},"b":1}');
  });

  it('passes when every active stream replays through its registered, unchanged version, and counts them per version', async () => {
    const report = await gate(catalogOf([1, 2]));
    expect(report.refusals).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.activeStreams).toBe(3);
    expect(report.versions).toEqual([expect.objectContaining({ machineId: 'permitSaga', version: 1, active: 3, registered: true, fingerprintChanged: 0, unfingerprinted: 0 })]);
  });

  it('refuses when a version that active streams use is no longer registered', async () => {
    const report = await gate(catalogOf([2]));
    expect(report.passed).toBe(false);
    expect(report.refusals).toEqual([expect.stringMatching(/permitSaga@1 is not registered, and 3 active/)]);
    expect(report.versions[0]).toMatchObject({ version: 1, registered: false, active: 3 });
  });

  it('refuses a machine changed under the same number even where every stream still replays: the fingerprint tells', async () => {
    const report = await gate(catalogOf([1, 2], { 1: permitMachineV1Widened }));
    expect(report.divergences).toEqual([]);
    expect(report.passed).toBe(false);
    expect(report.versions[0]).toMatchObject({ version: 1, fingerprintChanged: 3 });
    expect(report.refusals).toEqual([expect.stringMatching(/permitSaga@1 changed under the same version number: 3 active/)]);
  });

  it('refuses when active streams no longer replay, and names them', async () => {
    const report = await gate(catalogOf([1, 2], { 1: permitMachineV1Shortcut }));
    expect(report.passed).toBe(false);
    expect(report.divergences.map((d) => d.streamId).sort()).toEqual(['permit-b', 'permit-c']);
    expect(report.refusals).toEqual(expect.arrayContaining([expect.stringMatching(/2 active stream\(s\) no longer replay/)]));
  });

  it('is the exit code of xsaga deploy-check: 0 when it passes, 1 when it refuses, 2 for bad arguments or no store', async () => {
    const config = loadConfig({ XSAGA_DATA_DIR: data.dir }, { roles: [] });
    const printed: string[] = [];
    const print = (text: string) => void printed.push(text);
    expect(await runDeployCheckCommand(config, [], { catalog: catalogOf([1, 2]), print })).toBe(0);
    expect(printed.at(-1)).toMatch(/permitSaga@1: 3 active, fingerprint matches[\s\S]*deploy check PASSED/);
    expect(await runDeployCheckCommand(config, ['--json'], { catalog: catalogOf([2]), print })).toBe(1);
    expect(JSON.parse(printed.at(-1)!)).toMatchObject({ passed: false, activeStreams: 3 });
    expect(await runDeployCheckCommand(config, ['--bogus'], { print })).toBe(2);
    expect(await runDeployCheckCommand(loadConfig({ XSAGA_DATA_DIR: `${data.dir}/missing` }, { roles: [] }), [], { print })).toBe(2);
  });

  it('judges a stream as it was listed: a saga that moves on and ends while the gate replays it (a live system) does not diverge', async () => {
    const store = await createSqlSagaStore(await createPgliteClient());
    try {
      const clock = testClock(Date.UTC(2026, 0, 1));
      const { registry } = catalogOf([1]);
      const runtime = createSagaRuntime({ store, registry, clock });
      await runtime.start(registry.latest('permitSaga')!, createMessage('PermitOpened', {}, { messageId: 'moving/opened', correlationId: 'moving', occurredAt: new Date(clock.now()).toISOString() }));
      const [listed] = await store.listStreams({ limit: 10, status: 'active' });
      await runtime.handle([permitMessage(clock, 'moving', 'PermitChecked', 1)]);
      await runtime.handle([permitMessage(clock, 'moving', 'PermitApproved', 2)]);
      expect((await store.load('moving'))?.head).toMatchObject({ status: 'done', version: 3 });
      expect(await verifyStream(store, registry, listed!)).toEqual({ events: 1, snapshots: 0 });
    } finally {
      await store.close();
    }
  });
});
