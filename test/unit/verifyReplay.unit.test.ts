import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assign } from 'xstate';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { runVerifyReplayCommand } from '../../app/commands/verifyReplay.ts';
import { loadConfig } from '../../app/config.ts';
import { DEFAULT_MIX, orderRequestFor } from '../../app/orderMix.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { orderSagaV2 } from '../../machines/orderSagaV2.ts';
import type { OrderSagaV2Context, StepActionV2 } from '../../machines/orderSagaV2Types.ts';
import { foldStream } from '../../runtime/foldStream.ts';
import { MachineRegistry, type SagaDefinition } from '../../runtime/sagaDefinition.ts';
import { replayStream } from '../../runtime/sagaFold.ts';
import type { SagaStore, StreamHead } from '../../runtime/sagaStore.ts';
import { formatDivergence, verifyReplay } from '../../runtime/verifyReplay.ts';
import { orderSagaWith } from '../fixtures/brokenMachines.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';

// The runtime's fold, watched: verify-replay must not check the fold with the fold itself.
vi.mock('../../runtime/foldStream.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../runtime/foldStream.ts')>();
  return { ...original, foldStream: vi.fn(original.foldStream) };
});

const ORDERS_PER_SCENARIO = 3;
const { registry } = sagaCatalog();
// New orders start on the newest version: the embedded system below fills the store with v2 streams.
const definition = registry.latest('orderSaga')!;

/** The registry with the order saga's machine swapped for `machine`, under the same version: a change made in place. */
const changedRegistry = (machine: SagaDefinition['machine']) => new MachineRegistry().register({ ...definition, machine } as SagaDefinition);

/** Out of stock ends the saga at once: the refund that stored streams hold is no longer accepted. */
const forgetsRefund = orderSagaWith({
  inventory: {
    entry: [{ type: 'countAttempt', params: { action: 'reserve' } }, 'reserveStock'],
    on: {
      StockReserved: { target: 'shipping', actions: { type: 'recordStep', params: { step: 'inventory', action: 'reserve' } } },
      StockReservationFailed: [
        { guard: { type: 'canRetry', params: { action: 'reserve' } }, target: 'inventory', reenter: true },
        { target: 'failed', actions: { type: 'failFromReply', params: { whenExhausted: 'INVENTORY_UNAVAILABLE' } } },
      ],
    },
  },
}, orderSagaV2);

/** Same states, but every attempt counts twice: only the stored snapshots can tell. */
const countsTwice = orderSagaV2.provide({
  actions: {
    countAttempt: assign(({ context }: { context: OrderSagaV2Context }, params: { action: StepActionV2 }) => ({
      attempts: { ...context.attempts, [params.action]: context.attempts[params.action] + 2 },
    })),
  },
});

describe('verify-replay on a store that the embedded system filled with orders of every scenario', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let store: SagaStore;
  let heads: StreamHead[];

  beforeAll(async () => {
    data = await tempDataDir();
    const env = { XSAGA_DATA_DIR: data.dir, XSAGA_SNAPSHOT_EVERY: '2', XSAGA_PAYMENT_TIMEOUT_MS: '2000' };
    const system = await startEmbedded(env);
    try {
      const requests = DEFAULT_MIX.flatMap((scenario, s) => Array.from({ length: ORDERS_PER_SCENARIO }, (_, i) => orderRequestFor(s * ORDERS_PER_SCENARIO + i, scenario)));
      await Promise.all(requests.map((request) => system.orders.placeOrder(request)));
      await eventually(
        async () => {
          const listed = await system.adapters.store.listStreams({ limit: 1000 });
          expect(listed.filter((head) => head.status === 'done')).toHaveLength(requests.length);
        },
        { timeoutMs: 20_000, intervalMs: 50 },
      );
    } finally {
      await system.stop();
    }
    store = await createSqlSagaStore(await createPgliteClient(data.dir));
    heads = [...(await store.listStreams({ limit: 1000 }))];
  });
  afterAll(async () => {
    await store?.close();
    await data?.remove();
  });

  it('finds every stream replaying to its stored snapshot and status', async () => {
    const report = await verifyReplay({ store, registry });
    expect(report.divergences).toEqual([]);
    expect(report.streams).toBe(DEFAULT_MIX.length * ORDERS_PER_SCENARIO);
    expect(report.snapshots, 'snapshots compared').toBe(report.streams);
    expect(report.events).toBeGreaterThan(report.streams * 3);
  });

  it("replays with xstate's own transition(), never with the runtime's fold that it checks", async () => {
    const fold = vi.mocked(foldStream);
    replayStream(definition, (await store.load(heads[0]!.streamId))!);
    expect(fold, 'the runtime hydrates through the watched fold').toHaveBeenCalled();
    fold.mockClear();
    const report = await verifyReplay({ store, registry });
    expect(report.streams).toBe(heads.length);
    expect(fold).not.toHaveBeenCalled();
  });

  it('catches a machine changed in place whose states no longer accept the stored history', async () => {
    const report = await verifyReplay({ store, registry: changedRegistry(forgetsRefund) });
    const soldOut = [];
    for (const head of heads) {
      const events = await store.readStream(head.streamId);
      if (events.some((e) => (e.message.data as { reason?: string }).reason === 'OUT_OF_STOCK')) soldOut.push(head.streamId);
    }
    expect(soldOut).toHaveLength(ORDERS_PER_SCENARIO);
    expect(report.divergences.map((d) => d.streamId).sort()).toEqual(soldOut.sort());
    for (const divergence of report.divergences) {
      expect(divergence).toMatchObject({ machine: 'orderSaga@2', version: 4, kind: 'rejected-event', stored: 'PaymentRefunded applied', replayed: 'failed (done)' });
      expect(formatDivergence(divergence)).toBe(
        `DIVERGED ${divergence.streamId} (orderSaga@2) at version 4, rejected-event: stored PaymentRefunded applied, replayed failed (done); ` +
          'event 4 (PaymentRefunded) was applied when it happened, but the replayed saga does not accept it',
      );
    }
  });

  it('catches a change that only the stored snapshots reveal, naming the first difference', async () => {
    const report = await verifyReplay({ store, registry: changedRegistry(countsTwice) });
    expect(report.divergences).toHaveLength(report.streams);
    for (const divergence of report.divergences) {
      expect(divergence.kind).toBe('snapshot');
      expect(divergence.stored).toBe(divergence.replayed);
      const [, stored, replayed] = /^context\.attempts\.\w+: (\d+) ≠ (\d+)$/.exec(divergence.detail) ?? [];
      expect(Number(replayed), divergence.detail).toBe(2 * Number(stored));
    }
  });

  it('reports streams pinned to a machine version that is not registered', async () => {
    const report = await verifyReplay({ store, registry: new MachineRegistry(), streamIds: [heads[0]!.streamId] });
    expect(report.divergences).toEqual([expect.objectContaining({ streamId: heads[0]!.streamId, kind: 'not-registered', detail: 'orderSaga@2 is not registered' })]);
  });

  it('runs as `xsaga verify-replay` on the configured data directory: 0 when all agree, 1 and the divergences otherwise', async () => {
    // The command opens the data directory itself: the store of the other tests must let go of it first.
    await store.close();
    const printed: string[] = [];
    const print = (text: string) => void printed.push(text);
    const config = loadConfig({ XSAGA_DATA_DIR: data.dir });
    expect(await runVerifyReplayCommand(config, ['--stream', heads[0]!.streamId], { print })).toBe(0);
    expect(printed.pop()).toMatch(/^verified 1 stream \(\d+ events, 1 snapshot compared\): no divergence$/);
    expect(await runVerifyReplayCommand(config, [], { print, catalog: { registry: changedRegistry(forgetsRefund), participants: [] } })).toBe(1);
    const output = printed.pop()!;
    // A stream is replayed up to its first divergence: the snapshots of the diverging ones are not compared.
    const compared = heads.length - ORDERS_PER_SCENARIO;
    expect(output).toMatch(new RegExp(`^verified ${heads.length} streams \\(\\d+ events, ${compared} snapshots compared\\): ${ORDERS_PER_SCENARIO} diverged\\n`));
    expect(output.split('\n').filter((line) => line.startsWith('DIVERGED '))).toHaveLength(ORDERS_PER_SCENARIO);
    store = await createSqlSagaStore(await createPgliteClient(data.dir));
  });

  it('refuses to run without a data directory to read', async () => {
    const printed: string[] = [];
    expect(await runVerifyReplayCommand(loadConfig({ XSAGA_DATA_DIR: ':memory:' }), [], { print: (t) => void printed.push(t) })).toBe(2);
    expect(printed[0]).toContain('no event store to verify');
  });
});
