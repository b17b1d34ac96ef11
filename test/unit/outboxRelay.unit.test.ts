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

async function setup(options: { failPublishes?: number; publishDelayMs?: number } = {}) {
  const store: SagaStore = await createSqlSagaStore(await freshPglite());
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
  const relay = createOutboxRelay({ store, bus, idleMs: 20, sweepAfterMs: SWEEP_AFTER_MS });
  return { store, relay, received, pending: async () => (await store.pendingOutbox(100)).map((r) => r.envelope.message.type) };
}

describe('outbox relay', () => {
  it('publishes what a writer committed at once, in commit order, and marks it published', async () => {
    const { store, relay, received, pending } = await setup();
    relay.dispatch(await store.commit([change('s1', ['A', 'B']), change('s2', ['C'])]));
    relay.dispatch(await store.commit([change('s3', ['D'])]));
    await eventually(async () => expect(await pending()).toEqual([]));
    expect(received.map((m) => m.type)).toEqual(['A', 'B', 'C', 'D']);
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
    const { store, relay, received, pending } = await setup();
    const loop = relay.start();
    try {
      // The first round after a start sweeps everything, whatever its age.
      await store.commit([change('s1', ['Old'])]);
      await eventually(async () => expect(await pending()).toEqual([]));
      // A writer that committed and died before publishing: its row is young, so the sweep waits.
      await store.commit([change('s2', ['Orphan'])]);
      const committed = performance.now();
      await sleep(SWEEP_AFTER_MS / 2);
      expect(await pending()).toEqual(['Orphan']);
      await eventually(async () => expect(await pending()).toEqual([]));
      expect(performance.now() - committed).toBeGreaterThanOrEqual(SWEEP_AFTER_MS);
      await store.commit([change('s3', ['Timer'])]);
      relay.wake();
      await eventually(async () => expect(await pending()).toEqual([]));
      expect(received.map((m) => m.type)).toEqual(['Old', 'Orphan', 'Timer']);
    } finally {
      await loop.stop();
    }
  });

  it('leaves rows it failed to publish to the sweep, which publishes them', async () => {
    const { store, relay, received, pending } = await setup({ failPublishes: 1 });
    relay.dispatch(await store.commit([change('s1', ['Lost'])]));
    await sleep(100);
    expect(await pending()).toEqual(['Lost']);
    expect(received).toEqual([]);
    const loop = relay.start();
    await eventually(async () => expect(await pending()).toEqual([]));
    await loop.stop();
    await eventually(() => expect(received.map((m) => m.type)).toEqual(['Lost']));
  });
});
