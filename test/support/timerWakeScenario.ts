import { expect } from 'vitest';
import { systemClock } from '../../runtime/clock.ts';
import type { OutboxRecord, SagaStore, StreamChange } from '../../runtime/sagaStore.ts';
import { createTimerScheduler } from '../../runtime/timerScheduler.ts';
import { eventually } from './eventually.ts';
import { testMessage } from './messages.ts';

/** One event of the saga that backs off, arming `timersArmed`. */
const step = (expectedVersion: number, type: string, timersArmed: StreamChange['timersArmed']): StreamChange => ({
  streamId: 'backing-off',
  machineId: 'machine',
  machineVersion: 1,
  expectedVersion,
  events: [testMessage(type, 'backing-off')],
  status: 'active',
  outbox: [],
  timersArmed,
  timersCancelled: [],
  appliedMessageIds: [],
});

/**
 * A scheduler that looks for due timers once a minute fires a timer armed 300 ms ahead (a retry's
 * backoff) within seconds, because the commit that armed it told the scheduler's store. `armingStore`
 * commits the timer: the scheduler's own store, or another process's on the same database.
 */
export async function timerWakeScenario(schedulerStore: SagaStore, armingStore: SagaStore): Promise<void> {
  const fired: OutboxRecord[] = [];
  let looks = 0;
  let listening: Promise<unknown> | undefined;
  const watched: SagaStore = {
    ...schedulerStore,
    nextTimerDue: () => schedulerStore.nextTimerDue().finally(() => looks++),
    watchArmedTimers: (onArmed) => (listening = schedulerStore.watchArmedTimers(onArmed)),
  };
  const scheduler = createTimerScheduler({ store: watched, inboxTopic: 'inbox', clock: systemClock, idleMs: 60_000, onFired: (records) => fired.push(...records) });
  await armingStore.commit([step(0, 'Failed', [])]);
  const loop = scheduler.start();
  try {
    // Its first look finds no timer: it then sleeps for its idle minute unless told of one.
    await eventually(() => expect(looks).toBe(1));
    await listening;
    const dueAt = new Date(Date.now() + 300).toISOString();
    await armingStore.commit([step(1, 'RetryScheduled', [{ timerId: 'retry', dueAt, event: { type: 'Retry' }, armedVersion: 2 }])]);
    // Far less than the scheduler's idle minute, and room for a busy machine.
    await eventually(() => expect(fired.map((record) => record.envelope.key)).toEqual(['backing-off']), { timeoutMs: 20_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(dueAt));
  } finally {
    await loop.stop();
  }
}
