import { describe, expect, it } from 'vitest';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import type { Message } from '../../runtime/message.ts';
import type { MessageBus } from '../../runtime/messageBus.ts';
import { createOutboxRelay } from '../../runtime/outboxRelay.ts';
import type { SagaStore, StreamChange } from '../../runtime/sagaStore.ts';
import { eventually } from '../support/eventually.ts';
import { testEnvelope, testMessage } from '../support/messages.ts';
import { freshPglite } from '../support/pglite.ts';

const change = (streamId: string, types: string[]): StreamChange => ({
  streamId,
  machineId: 'machine',
  machineVersion: 1,
  expectedVersion: 0,
  events: [testMessage('Started', streamId)],
  status: 'active',
  // One key for every row, so the bus keeps them in one partition and the observer sees publish order.
  outbox: types.map((type) => testEnvelope('commands', 'one-key', type)),
  timersArmed: [],
  timersCancelled: [],
  appliedMessageIds: [],
});

const SWEEP_AFTER_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One sweep round's query, seen from the store: when it began and ended, and what it was handed. */
type SweepRound = Readonly<{ began: number; ended: number; types: readonly string[] }>;

async function setup(options: { failPublishes?: number; publishDelayMs?: number; markDelayMs?: number } = {}) {
  const sqlStore: SagaStore = await createSqlSagaStore(await freshPglite());
  const sweeps: SweepRound[] = [];
  const marks: string[][] = [];
  const store: SagaStore = {
    ...sqlStore,
    async markPublished(ids) {
      marks.push([...ids]);
      await sqlStore.markPublished(ids);
    },
    async pendingOutbox(limit, filter) {
      const began = Date.now();
      const records = await sqlStore.pendingOutbox(limit, filter);
      if (filter?.olderThanMs !== undefined) sweeps.push({ began, ended: Date.now(), types: records.map((r) => r.envelope.message.type) });
      return records;
    },
  };
  const memory = createMemoryMessageBus();
  const received: Message[] = [];
  await memory.subscribe({ group: 'observer', topics: ['commands'], handler: async ({ messages }) => void received.push(...messages) });
  let failures = options.failPublishes ?? 0;
  const bus: MessageBus = {
    ...memory,
    async publish(envelopes) {
      if (failures-- > 0) throw new Error('the bus is down');
      if (options.publishDelayMs) await sleep(options.publishDelayMs);
      await memory.publish(envelopes);
    },
  };
  const relay = createOutboxRelay({ store, bus, idleMs: 20, sweepAfterMs: SWEEP_AFTER_MS, markDelayMs: options.markDelayMs });
  return { store, relay, received, sweeps, marks, pending: async () => (await sqlStore.pendingOutbox(100)).map((r) => r.envelope.message.type) };
}

// Each test starts PGlite (WebAssembly PostgreSQL): seconds on a quiet machine, tens of seconds beside other test files.
describe('outbox relay', { timeout: 120_000 }, () => {
  it('publishes what a writer committed at once, in commit order, and marks it published', async () => {
    const { store, relay, received, pending } = await setup();
    relay.dispatch(await store.commit([change('s1', ['A', 'B']), change('s2', ['C'])]));
    relay.dispatch(await store.commit([change('s3', ['D'])]));
    await eventually(async () => expect(await pending()).toEqual([]));
    await eventually(() => expect(received.map((m) => m.type)).toEqual(['A', 'B', 'C', 'D']));
  });

  it("marks a writer's rows published together, in one statement, once its mark delay is over or the relay is asked to be idle", async () => {
    const { store, relay, received, marks, pending } = await setup({ markDelayMs: 60_000 });
    for (const streamId of ['s1', 's2', 's3']) relay.dispatch(await store.commit([change(streamId, [`To ${streamId}`])]));
    await eventually(() => expect(received).toHaveLength(3));
    // Published, and waiting for the mark: a sweep of every pending row would send them again, so publishPending waits for it.
    expect(await pending()).toEqual(['To s1', 'To s2', 'To s3']);
    expect(await relay.publishPending()).toBe(0);
    expect(marks).toHaveLength(1);
    expect(marks[0]).toHaveLength(3);
    expect(await pending()).toEqual([]);

    const quick = await setup({ markDelayMs: 50 });
    quick.relay.dispatch(await quick.store.commit([change('s4', ['Alone'])]));
    await eventually(async () => expect(await quick.pending()).toEqual([]));
    expect(quick.marks).toHaveLength(1);
  });

  it('tells when everything dispatched so far is out, so a stopping process publishes its last commits', async () => {
    const { store, relay, pending } = await setup({ publishDelayMs: 500 });
    relay.dispatch(await store.commit([change('s1', ['First'])]));
    relay.dispatch(await store.commit([change('s2', ['Second'])]));
    expect(await pending()).toEqual(['First', 'Second']);
    await relay.idle();
    expect(await pending()).toEqual([]);
    await relay.idle();
  });

  it('leaves young rows to their writer, and sweeps them once they are old or when woken', async () => {
    const { store, relay, received, sweeps, pending } = await setup();
    const loop = relay.start();
    try {
      // The first round after a start sweeps everything, whatever its age.
      await store.commit([change('s1', ['Old'])]);
      await eventually(async () => expect(await pending()).toEqual([]));
      // A writer that committed and died before publishing: its row is young, so the sweep waits.
      const committing = Date.now();
      await store.commit([change('s2', ['Orphan'])]);
      const committed = Date.now();
      await eventually(async () => expect(await pending()).toEqual([]), { timeoutMs: SWEEP_AFTER_MS + 10_000 });
      const after = sweeps.filter((round) => round.began >= committed);
      const young = after.filter((round) => round.ended - committing < SWEEP_AFTER_MS);
      // Rounds ran while the row was young (the sweep did look), and none of them took it.
      expect(young.length).toBeGreaterThan(0);
      expect(young.flatMap((round) => round.types)).toEqual([]);
      const taken = sweeps.find((round) => round.types.includes('Orphan'))!;
      expect(taken.ended - committing).toBeGreaterThanOrEqual(SWEEP_AFTER_MS);
      await store.commit([change('s3', ['Timer'])]);
      relay.wake();
      await eventually(async () => expect(await pending()).toEqual([]));
      // Marked published once the bus took them; the observer reads them a moment later.
      await eventually(() => expect(received.map((m) => m.type)).toEqual(['Old', 'Orphan', 'Timer']));
    } finally {
      await loop.stop();
    }
  });

  it('leaves rows it failed to publish to the sweep, which publishes them', async () => {
    const { store, relay, received, pending } = await setup({ failPublishes: 1 });
    relay.dispatch(await store.commit([change('s1', ['Lost'])]));
    // The dispatch has run (and failed) once the relay is idle.
    await relay.idle();
    expect(await pending()).toEqual(['Lost']);
    expect(received).toEqual([]);
    const loop = relay.start();
    await eventually(async () => expect(await pending()).toEqual([]));
    await loop.stop();
    await eventually(() => expect(received.map((m) => m.type)).toEqual(['Lost']));
  });
});
