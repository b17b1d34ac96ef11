import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterOf, POISON_MESSAGE, type DeadLetter } from '../../runtime/deadLetter.ts';
import { isXsagaError } from '../../runtime/errors.ts';
import { timerFiredEnvelope } from '../../runtime/machineEvent.ts';
import type { SagaStore, StreamChange } from '../../runtime/sagaStore.ts';
import { testEnvelope, testMessage } from '../support/messages.ts';

type Factory = () => Promise<{ store: SagaStore; dispose: () => Promise<void> }>;

const change = (streamId: string, expectedVersion: number, overrides: Partial<StreamChange> = {}): StreamChange => ({
  streamId,
  machineId: 'machine',
  machineVersion: 1,
  expectedVersion,
  events: [testMessage('Happened', streamId)],
  status: 'active',
  outbox: [],
  timersArmed: [],
  timersCancelled: [],
  appliedMessageIds: [],
  ...overrides,
});

const letter = (message: unknown, consumer = 'saga-worker', markApplied = true): DeadLetter =>
  deadLetterOf(
    { message, reason: 'SCHEMA_VIOLATION', error: new Error('data.amount: expected number'), attempts: 1, machine: 'machine@1' },
    { consumer, topic: 'dead-letters', markApplied, now: () => '2026-01-01T00:00:00.000Z' },
  );

/** The behaviour every SagaStore must have, run against each implementation. */
export function sagaStoreContract(name: string, factory: Factory): void {
  describe(`SagaStore contract: ${name}`, () => {
    let store: SagaStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await factory());
    });
    afterEach(async () => {
      await dispose();
    });

    it('appends events and loads them back in order with the head', async () => {
      await store.commit([change('s1', 0, { events: [testMessage('A', 's1'), testMessage('B', 's1')] })]);
      await store.commit([change('s1', 2, { events: [testMessage('C', 's1')], status: 'done' })]);
      const loaded = await store.load('s1');
      expect(loaded?.head).toMatchObject({ streamId: 's1', machineId: 'machine', machineVersion: 1, version: 3, status: 'done' });
      expect(loaded?.events.map((e) => [e.version, e.message.type])).toEqual([
        [1, 'A'],
        [2, 'B'],
        [3, 'C'],
      ]);
      expect((await store.readStream('s1', 2)).map((e) => e.message.type)).toEqual(['B', 'C']);
      expect(await store.load('missing')).toBeUndefined();
    });

    it('rejects a write from a stale version and writes nothing of its batch', async () => {
      await store.commit([change('s1', 0)]);
      const stale = store.commit([change('s2', 0), change('s1', 0)]);
      await expect(stale).rejects.toSatisfy((e) => isXsagaError(e, 'CONCURRENCY'));
      const behind = store.commit([change('s1', 2, { outbox: [testEnvelope('t', 's1')] })]);
      await expect(behind).rejects.toSatisfy((e) => isXsagaError(e, 'CONCURRENCY'));
      expect(await store.load('s2')).toBeUndefined();
      expect(await store.pendingOutbox(10)).toEqual([]);
      expect((await store.load('s1'))?.head.version).toBe(1);
    });

    it('records applied message ids and refuses to apply one twice', async () => {
      await store.commit([change('s1', 0, { appliedMessageIds: ['m1', 'm2'] })]);
      expect([...(await store.appliedAmong(['m1', 'm3', 'm2']))].sort()).toEqual(['m1', 'm2']);
      await expect(store.commit([change('s1', 1, { appliedMessageIds: ['m2'] })])).rejects.toSatisfy((e) => isXsagaError(e, 'CONCURRENCY'));
      expect((await store.load('s1'))?.head.version).toBe(1);
    });

    it('keeps the latest snapshot and loads only the events after it', async () => {
      await store.commit([change('s1', 0, { events: [testMessage('A', 's1'), testMessage('B', 's1')], snapshot: { version: 2, machineVersion: 1, state: { at: 2 } } })]);
      await store.commit([change('s1', 2, { events: [testMessage('C', 's1')] })]);
      const loaded = await store.load('s1');
      expect(loaded?.snapshot).toEqual({ version: 2, machineVersion: 1, state: { at: 2 } });
      expect(loaded?.events.map((e) => e.message.type)).toEqual(['C']);
      expect(loaded?.head.version).toBe(3);
    });

    it('loads many streams at once, each as a load of its own would, and leaves unknown ones out', async () => {
      await store.commit([
        change('s1', 0, { events: [testMessage('A', 's1'), testMessage('B', 's1')], snapshot: { version: 2, machineVersion: 1, state: { at: 2 } } }),
        change('s2', 0, { events: [testMessage('X', 's2'), testMessage('Y', 's2')], status: 'done' }),
        change('s3', 0, { events: [testMessage('P', 's3')], snapshot: { version: 1, machineVersion: 1, state: { at: 1 } } }),
      ]);
      await store.commit([change('s1', 2, { events: [testMessage('C', 's1'), testMessage('D', 's1')] })]);
      const many = await store.loadMany(['s2', 'missing', 's1', 's3']);
      expect([...many.keys()].sort()).toEqual(['s1', 's2', 's3']);
      for (const id of ['s1', 's2', 's3']) expect(many.get(id), id).toEqual(await store.load(id));
      expect(many.get('s1')?.events.map((e) => [e.version, e.message.type])).toEqual([
        [3, 'C'],
        [4, 'D'],
      ]);
      expect(many.get('s2')?.head).toMatchObject({ version: 2, status: 'done' });
      expect(many.get('s3')).toMatchObject({ head: { version: 1 }, snapshot: { version: 1 }, events: [] });
      expect((await store.loadMany([])).size).toBe(0);
    });

    it('returns the outbox records a commit wrote, with the ids and order the outbox holds them in', async () => {
      const first = await store.commit([change('s1', 0, { outbox: [testEnvelope('t', 's1', 'First'), testEnvelope('t', 's1', 'Second')] }), change('s2', 0)]);
      const second = await store.commit([change('s3', 0, { outbox: [testEnvelope('u', 's3', 'Third')] })]);
      expect([...first, ...second].map((r) => r.envelope.message.type)).toEqual(['First', 'Second', 'Third']);
      expect(await store.pendingOutbox(10)).toEqual([...first, ...second]);
      expect(await store.commit([change('s4', 0)])).toEqual([]);
      // The sweep's view: only rows committed at least that long ago.
      expect(await store.pendingOutbox(10, { olderThanMs: 60_000 })).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.pendingOutbox(10, { olderThanMs: 10 })).toEqual([...first, ...second]);
    });

    it('hands out the outbox in commit order until marked published', async () => {
      await store.commit([change('s1', 0, { outbox: [testEnvelope('t', 's1', 'First'), testEnvelope('t', 's1', 'Second')] })]);
      await store.commit([change('s2', 0, { outbox: [testEnvelope('u', 's2', 'Third')] })]);
      const pending = await store.pendingOutbox(10);
      expect(pending.map((r) => r.envelope.message.type)).toEqual(['First', 'Second', 'Third']);
      expect(pending[2]?.envelope).toMatchObject({ topic: 'u', key: 's2' });
      await store.markPublished(pending.slice(0, 2).map((r) => r.id));
      expect((await store.pendingOutbox(10)).map((r) => r.envelope.message.type)).toEqual(['Third']);
      expect((await store.pendingOutbox(1)).length).toBe(1);
    });

    it('lists the outbox of active streams only', async () => {
      await store.commit([change('active', 0, { outbox: [testEnvelope('t', 'active', 'Keep')] })]);
      await store.commit([change('done', 0, { status: 'done', outbox: [testEnvelope('t', 'done', 'Drop')] })]);
      await store.markPublished((await store.pendingOutbox(10)).map((r) => r.id));
      expect((await store.outboxOfActiveStreams()).map((r) => r.envelope.message.type)).toEqual(['Keep']);
    });

    it('fires a due timer once, into the outbox, and never a cancelled one', async () => {
      const due = '2026-01-01T00:00:10.000Z';
      await store.commit([
        change('s1', 0, { timersArmed: [{ timerId: 'deadline', dueAt: due, event: { type: 'Late' }, armedVersion: 1 }] }),
        change('s2', 0, { timersArmed: [{ timerId: 'deadline', dueAt: due, event: { type: 'Late' }, armedVersion: 1 }] }),
      ]);
      await store.commit([change('s2', 1, { timersCancelled: ['deadline'] })]);
      expect(await store.nextTimerDue()).toBe(due);
      const toEnvelope = (streamId: string, timer: Parameters<typeof timerFiredEnvelope>[2]) => timerFiredEnvelope('inbox', streamId, timer);
      expect(await store.fireDueTimers('2026-01-01T00:00:09.999Z', 10, toEnvelope)).toEqual([]);
      const returned = await store.fireDueTimers('2026-01-01T00:00:10.000Z', 10, toEnvelope);
      expect(await store.fireDueTimers('2026-01-01T00:01:00.000Z', 10, toEnvelope)).toEqual([]);
      const fired = await store.pendingOutbox(10);
      expect(fired).toHaveLength(1);
      // What it returns is the outbox row it wrote, id included: its caller publishes and marks that row.
      expect(returned).toEqual(fired);
      expect(fired[0]?.envelope).toMatchObject({ topic: 'inbox', key: 's1', message: { type: 'TimerFired', data: { timerId: 'deadline', event: { type: 'Late' } } } });
      expect(await store.nextTimerDue()).toBeUndefined();
    });

    it('keeps the trace context of the transition that armed a timer, and fires it with it', async () => {
      const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'k=v' };
      await store.commit([
        change('traced', 0, { timersArmed: [{ timerId: 'deadline', dueAt: '2026-01-01T00:00:10.000Z', event: { type: 'Late' }, armedVersion: 1, trace }] }),
        change('untraced', 0, { timersArmed: [{ timerId: 'deadline', dueAt: '2026-01-01T00:00:10.000Z', event: { type: 'Late' }, armedVersion: 1 }] }),
      ]);
      expect(await store.fireDueTimers('2026-01-01T00:00:10.000Z', 10, (streamId, timer) => timerFiredEnvelope('inbox', streamId, timer))).toHaveLength(2);
      const fired = new Map((await store.pendingOutbox(10)).map((r) => [r.envelope.key, r.envelope.message.metadata]));
      expect(fired.get('traced')).toMatchObject(trace);
      expect(fired.get('untraced')).not.toHaveProperty('traceparent');
      expect(fired.get('untraced')).not.toHaveProperty('tracestate');
    });

    it('binds an idempotency key to the first stream that used it', async () => {
      await store.commit([{ ...change('s1', 0), idempotencyKey: { key: 'k1', requestHash: 'h1' } }]);
      expect(await store.findIdempotencyKey('k1')).toEqual({ streamId: 's1', requestHash: 'h1' });
      const second = store.commit([{ ...change('s2', 0), idempotencyKey: { key: 'k1', requestHash: 'h2' } }]);
      await expect(second).rejects.toSatisfy((e) => isXsagaError(e, 'IDEMPOTENCY_KEY_REUSED'));
      expect(await store.load('s2')).toBeUndefined();
      expect(await store.findIdempotencyKey('nope')).toBeUndefined();
    });

    it('lists streams in pages', async () => {
      await store.commit(['c', 'a', 'b'].map((id) => change(id, 0)));
      const first = await store.listStreams({ limit: 2 });
      expect(first.map((h) => h.streamId)).toEqual(['a', 'b']);
      expect((await store.listStreams({ afterStreamId: 'b', limit: 2 })).map((h) => h.streamId)).toEqual(['c']);
    });

    it('lists the streams of one status only, page by page', async () => {
      await store.commit(['c', 'a', 'b', 'd'].map((id) => change(id, 0, { status: id === 'b' ? 'done' : 'active' })));
      expect((await store.listStreams({ limit: 2, status: 'active' })).map((h) => h.streamId)).toEqual(['a', 'c']);
      expect((await store.listStreams({ afterStreamId: 'c', limit: 2, status: 'active' })).map((h) => h.streamId)).toEqual(['d']);
      expect((await store.listStreams({ limit: 10, status: 'done' })).map((h) => h.streamId)).toEqual(['b']);
    });

    it('keeps the machine fingerprint of a stream from its first change until a migration moves it to another version', async () => {
      await store.commit([change('s1', 0, { machineFingerprint: 'f1' }), change('s2', 0)]);
      await store.commit([change('s1', 1)]);
      expect((await store.load('s1'))?.head).toMatchObject({ machineVersion: 1, machineFingerprint: 'f1' });
      expect((await store.load('s2'))?.head).not.toHaveProperty('machineFingerprint');
      await store.commit([change('s1', 2, { machineVersion: 2, machineFingerprint: 'f2' })]);
      expect((await store.listStreams({ limit: 1 }))[0]).toMatchObject({ streamId: 's1', machineVersion: 2, machineFingerprint: 'f2', version: 3 });
    });

    it('drops every other timer of a stream with cancelAllTimers, keeping those the same change arms', async () => {
      const timer = (timerId: string, dueAt: string) => ({ timerId, dueAt, event: { type: timerId }, armedVersion: 1 });
      await store.commit([change('s1', 0, { timersArmed: [timer('old', '2026-01-01T01:00:00.000Z'), timer('same', '2026-01-01T01:00:00.000Z')] }), change('s2', 0, { timersArmed: [timer('other', '2026-01-01T01:00:00.000Z')] })]);
      await store.commit([change('s1', 1, { cancelAllTimers: true, timersArmed: [timer('same', '2026-01-01T03:00:00.000Z'), timer('new', '2026-01-01T02:00:00.000Z')] })]);
      const fired: string[] = [];
      await store.fireDueTimers('2026-01-02T00:00:00.000Z', 10, (streamId, t) => {
        fired.push(`${streamId}:${t.timerId}@${t.dueAt}`);
        return { topic: 'inbox', key: streamId, message: testMessage('TimerFired', streamId) };
      });
      expect(fired.sort()).toEqual(['s1:new@2026-01-01T02:00:00.000Z', 's1:same@2026-01-01T03:00:00.000Z', 's2:other@2026-01-01T01:00:00.000Z']);
    });

    it('keeps the commands a snapshot awaits with it, and loads a snapshot without them as one', async () => {
      const awaiting = [['s1/2/0', 'CapturePayment']] as const;
      await store.commit([change('s1', 0, { events: [testMessage('A', 's1'), testMessage('B', 's1')], snapshot: { version: 2, machineVersion: 1, state: { at: 2 }, awaiting } })]);
      await store.commit([change('s2', 0, { snapshot: { version: 1, machineVersion: 1, state: { at: 1 } } })]);
      expect((await store.load('s1'))?.snapshot?.awaiting).toEqual(awaiting);
      expect((await store.load('s2'))?.snapshot).toBeDefined();
      expect((await store.load('s2'))?.snapshot?.awaiting).toBeUndefined();
    });

    it('writes dead letters with a batch: their rows, their messages on the dead-letter topic after the batch\'s, their ids applied', async () => {
      const poison = testMessage('PaymentCaptured', 's1', { amount: 'lots' });
      const records = await store.commit([change('s1', 0, { outbox: [testEnvelope('t', 's1', 'First')] })], [letter(poison)]);
      expect(records.map((r) => [r.envelope.topic, r.envelope.message.type])).toEqual([
        ['t', 'First'],
        ['dead-letters', 'MessageDeadLettered'],
      ]);
      expect(await store.pendingOutbox(10)).toEqual(records);
      expect(records[1]!.envelope).toMatchObject({
        key: 's1',
        message: {
          data: {
            reason: 'SCHEMA_VIOLATION',
            streamId: 's1',
            error: 'Error: data.amount: expected number',
            message: poison,
            headers: { messageId: poison.metadata.messageId, correlationId: 's1', type: 'PaymentCaptured' },
          },
        },
      });
      expect((await store.appliedAmong([poison.metadata.messageId])).size).toBe(1);
      const [stored] = await store.deadLetters({ streamId: 's1', limit: 10 });
      expect(stored).toMatchObject({ id: `saga-worker:${poison.metadata.messageId}`, consumer: 'saga-worker', streamId: 's1', machine: 'machine@1', message: poison, reason: 'SCHEMA_VIOLATION', attempts: 1, replayedAt: null });
      // Applied means applied: the same dead letter in a later commit is a concurrent write.
      await expect(store.commit([], [letter(poison)])).rejects.toSatisfy((e) => isXsagaError(e, 'CONCURRENCY'));
    });

    it('keeps a message that jsonb refuses as its JSON text, and its id usable', async () => {
      const poison = testMessage('ShipmentCreated', 's1', { shipmentId: 'shp\u0000' });
      const refused = letter(poison);
      expect(refused.storableAsJsonb).toBe(false);
      const [record] = await store.commit([], [refused]);
      expect(record!.envelope.message.data).toMatchObject({ messageText: JSON.stringify(poison) });
      const [stored] = await store.deadLetters({ limit: 10 });
      expect(stored!.message).toBe(JSON.stringify(poison));
      expect(JSON.parse(stored!.message as string)).toEqual(poison);
    });

    it('flags the streams with dead letters nobody replayed, until they are', async () => {
      const first = letter(testMessage('X', 's1'));
      await store.commit([], [first, letter(testMessage('Y', 's1')), letter(testMessage('Z', 's2'))]);
      const flagged = await store.attention(['s1', 's2', 's3']);
      expect([...flagged.keys()].sort()).toEqual(['s1', 's2']);
      expect(flagged.get('s1')).toMatchObject({ reason: POISON_MESSAGE, deadLetters: 2, since: expect.any(String) });
      await store.markDeadLettersReplayed([first.id]);
      expect((await store.attention(['s1'])).get('s1')?.deadLetters).toBe(1);
      expect((await store.deadLetters({ streamId: 's1', limit: 10 })).find((d) => d.id === first.id)?.replayedAt).toEqual(expect.any(String));
      expect((await store.deadLetters({ limit: 1 })).length).toBe(1);
      expect((await store.attention([])).size).toBe(0);
    });

    it("writes a consumer's dead letters once, however often it writes them", async () => {
      const poison = letter(testMessage('CapturePayment', 's1', null), 'payment', false);
      const first = await store.deadLetter([poison]);
      expect(first.map((r) => r.envelope.message.type)).toEqual(['MessageDeadLettered']);
      expect(await store.deadLetter([poison])).toEqual([]);
      expect(await store.deadLetters({ streamId: 's1', limit: 10 })).toHaveLength(1);
      expect((await store.appliedAmong([poison.messageKey])).size).toBe(0);
      expect(await store.pendingOutbox(10)).toEqual(first);
    });

    it('keeps when a saga began and entered its state with its snapshot, and loads a snapshot without them as one', async () => {
      const times = { startedAt: '2026-01-01T00:00:00.000Z', enteredAt: '2026-01-01T00:00:05.000Z' };
      await store.commit([change('s1', 0, { events: [testMessage('A', 's1')], snapshot: { version: 1, machineVersion: 1, state: { at: 1 }, times } })]);
      await store.commit([change('s2', 0, { snapshot: { version: 1, machineVersion: 1, state: { at: 1 } } })]);
      expect((await store.load('s1'))?.snapshot?.times).toEqual(times);
      expect((await store.load('s2'))?.snapshot).toEqual({ version: 1, machineVersion: 1, state: { at: 1 } });
    });

    it('reports its backlog: unpublished outbox rows, armed and overdue timers, sagas with dead letters nobody replayed', async () => {
      expect(await store.backlog()).toEqual({ unpublishedOutbox: 0, oldestUnpublishedAgeMs: 0, timersArmed: 0, timersOverdue: 0, oldestOverdueAgeMs: 0, sagasWithDeadLetters: 0 });
      const overdue = { timerId: 't-late', dueAt: new Date(Date.now() - 60_000).toISOString(), event: { type: 'Late' }, armedVersion: 1 };
      const later = { timerId: 't-later', dueAt: new Date(Date.now() + 3_600_000).toISOString(), event: { type: 'Later' }, armedVersion: 1 };
      const records = await store.commit(
        [change('s1', 0, { outbox: [testEnvelope('t', 's1'), testEnvelope('t', 's1')], timersArmed: [overdue, later] })],
        [letter(testMessage('X', 's2')), letter(testMessage('Y', 's2'))],
      );
      const backlog = await store.backlog();
      expect(backlog).toMatchObject({ unpublishedOutbox: 4, timersArmed: 2, timersOverdue: 1, sagasWithDeadLetters: 1 });
      expect(backlog.oldestOverdueAgeMs).toBeGreaterThanOrEqual(59_000);
      expect(backlog.oldestOverdueAgeMs).toBeLessThan(3_600_000);
      expect(backlog.oldestUnpublishedAgeMs).toBeGreaterThanOrEqual(0);
      await store.markPublished(records.map((r) => r.id));
      expect(await store.backlog()).toMatchObject({ unpublishedOutbox: 0, oldestUnpublishedAgeMs: 0 });
    });

    it('writes a batch of many streams in one commit', async () => {
      const ids = Array.from({ length: 300 }, (_, i) => `bulk-${i}`);
      await store.commit(ids.map((id) => change(id, 0, { outbox: [testEnvelope('t', id)], appliedMessageIds: [`applied-${id}`] })));
      expect((await store.pendingOutbox(1000)).length).toBe(300);
      expect((await store.appliedAmong(ids.map((id) => `applied-${id}`))).size).toBe(300);
    });
  });
}
