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

async function setup(options: { failPublishes?: number } = {}) {
  const store: SagaStore = await createSqlSagaStore(await freshPglite());
  const memory = createMemoryMessageBus();
  const received: Message[] = [];
  await memory.subscribe({ group: 'observer', topics: ['commands'], handler: async ({ messages }) => void received.push(...messages) });
  let failures = options.failPublishes ?? 0;
  const bus: MessageBus = {
    ...memory,
    async publish(envelopes) {
      if (failures-- > 0) throw new Error('the bus is down');
      await memory.publish(envelopes);
    },
  };
  let clock = Date.now();
  const relay = createOutboxRelay({ store, bus, idleMs: 20, sweepAfterMs: 60_000, now: () => clock });
  return { store, relay, received, pending: async () => (await store.pendingOutbox(100)).map((r) => r.envelope.message.type), advance: (ms: number) => (clock += ms) };
}

describe('outbox relay', () => {
  it('publishes what a writer committed at once, in commit order, and marks it published', async () => {
    const { store, relay, received, pending } = await setup();
    relay.dispatch(await store.commit([change('s1', ['A', 'B']), change('s2', ['C'])]));
    relay.dispatch(await store.commit([change('s3', ['D'])]));
    await eventually(async () => expect(await pending()).toEqual([]));
    expect(received.map((m) => m.type)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('leaves young rows to their writer, and sweeps them once they are old or when woken', async () => {
    const { store, relay, received, pending, advance } = await setup();
    const loop = relay.start();
    try {
      // The first round after a start sweeps everything, whatever its age.
      await store.commit([change('s1', ['Old'])]);
      await eventually(async () => expect(await pending()).toEqual([]));
      // A writer that committed and died before publishing: its row is young, so the sweep waits.
      await store.commit([change('s2', ['Orphan'])]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await pending()).toEqual(['Orphan']);
      advance(61_000);
      await eventually(async () => expect(await pending()).toEqual([]));
      await store.commit([change('s3', ['Timer'])]);
      relay.wake();
      await eventually(async () => expect(await pending()).toEqual([]));
      expect(received.map((m) => m.type)).toEqual(['Old', 'Orphan', 'Timer']);
    } finally {
      await loop.stop();
    }
  });

  it('leaves rows it failed to publish to the sweep, which publishes them', async () => {
    const { store, relay, received, pending, advance } = await setup({ failPublishes: 1 });
    relay.dispatch(await store.commit([change('s1', ['Lost'])]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await pending()).toEqual(['Lost']);
    expect(received).toEqual([]);
    advance(61_000);
    expect(await relay.publishPending()).toBe(1);
    await eventually(() => expect(received.map((m) => m.type)).toEqual(['Lost']));
  });
});
