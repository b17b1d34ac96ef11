import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterOf } from '../../runtime/deadLetter.ts';
import type { RetentionPolicy, SagaStore, StreamChange } from '../../runtime/sagaStore.ts';
import { testEnvelope, testMessage } from '../support/messages.ts';

type Factory = () => Promise<{ store: SagaStore; dispose: () => Promise<void> }>;

const HOUR_MS = 3_600_000;
/** Each table its own window, so that one prune call shows which window let which rows go. */
const policy: RetentionPolicy = { publishedOutboxMs: 1 * HOUR_MS, appliedMessageIdsMs: 2 * HOUR_MS, idempotencyKeysMs: 3 * HOUR_MS, batchSize: 100 };
/** Far beyond any skew between the database's clock, which stamps the rows, and this process's. */
const MARGIN_MS = 5 * 60_000;

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

/** A saga's first step with one row in each housekeeping table: two outbox rows, two applied ids, a key. */
const started = (streamId: string, status: StreamChange['status']): StreamChange => ({
  ...change(streamId, 0, { status }),
  outbox: [testEnvelope('t', streamId, 'First'), testEnvelope('t', streamId, 'Second')],
  appliedMessageIds: [`${streamId}/placed`, `${streamId}/reply`],
  idempotencyKey: { key: `key-${streamId}`, requestHash: 'h' },
});

/** Retention of the housekeeping tables: every SagaStore prunes them alike. */
export function sagaStoreRetentionContract(name: string, factory: Factory): void {
  describe(`SagaStore retention contract: ${name}`, () => {
    let store: SagaStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await factory());
    });
    afterEach(async () => {
      await dispose();
    });

    const at = (writtenAt: number, laterMs: number) => new Date(writtenAt + laterMs).toISOString();
    const publishAll = async () => store.markPublished((await store.pendingOutbox(1000)).map((r) => r.id));

    it('deletes the rows of a finished saga once their window has passed, and keeps them until then', async () => {
      const writtenAt = Date.now();
      await store.commit([started('done', 'done')]);
      await publishAll();
      const none = { publishedOutbox: 0, appliedMessageIds: 0, idempotencyKeys: 0 };

      expect(await store.prune(policy, at(writtenAt, policy.publishedOutboxMs - MARGIN_MS))).toEqual(none);
      expect(await store.prune(policy, at(writtenAt, policy.publishedOutboxMs + MARGIN_MS))).toEqual({ ...none, publishedOutbox: 2 });
      expect((await store.appliedAmong(['done/placed', 'done/reply'])).size).toBe(2);

      expect(await store.prune(policy, at(writtenAt, policy.appliedMessageIdsMs - MARGIN_MS))).toEqual(none);
      expect(await store.prune(policy, at(writtenAt, policy.appliedMessageIdsMs + MARGIN_MS))).toEqual({ ...none, appliedMessageIds: 2 });
      expect((await store.appliedAmong(['done/placed', 'done/reply'])).size).toBe(0);
      expect(await store.findIdempotencyKey('key-done')).toBeDefined();

      expect(await store.prune(policy, at(writtenAt, policy.idempotencyKeysMs - MARGIN_MS))).toEqual(none);
      expect(await store.prune(policy, at(writtenAt, policy.idempotencyKeysMs + MARGIN_MS))).toEqual({ ...none, idempotencyKeys: 1 });
      expect(await store.findIdempotencyKey('key-done')).toBeUndefined();

      // The history stays.
      expect((await store.load('done'))?.head).toMatchObject({ status: 'done', version: 1 });
    });

    it('keeps everything of a saga in flight whatever its age, and lets it go once the saga finished', async () => {
      const writtenAt = Date.now();
      await store.commit([started('active', 'active')]);
      await publishAll();
      const tenYearsLater = at(writtenAt, 10 * 365 * 24 * HOUR_MS);

      expect(await store.prune(policy, tenYearsLater)).toEqual({ publishedOutbox: 0, appliedMessageIds: 0, idempotencyKeys: 0 });
      expect((await store.outboxOfActiveStreams()).map((r) => r.envelope.message.type)).toEqual(['First', 'Second']);
      expect((await store.appliedAmong(['active/placed', 'active/reply'])).size).toBe(2);
      expect(await store.findIdempotencyKey('key-active')).toEqual({ streamId: 'active', requestHash: 'h' });

      await store.commit([change('active', 1, { status: 'done', appliedMessageIds: ['active/last'] })]);
      expect(await store.prune(policy, tenYearsLater)).toEqual({ publishedOutbox: 2, appliedMessageIds: 3, idempotencyKeys: 1 });
    });

    it('never deletes an outbox row nobody published', async () => {
      const writtenAt = Date.now();
      const [published] = await store.commit([change('done', 0, { status: 'done', outbox: [testEnvelope('t', 'done', 'Sent')] })]);
      await store.markPublished([published!.id]);
      await store.commit([change('stuck', 0, { status: 'done', outbox: [testEnvelope('t', 'stuck', 'Unsent')] })]);

      expect((await store.prune(policy, at(writtenAt, 10 * policy.publishedOutboxMs))).publishedOutbox).toBe(1);
      expect((await store.pendingOutbox(10)).map((r) => r.envelope.message.type)).toEqual(['Unsent']);
    });

    it('prunes the applied ids and the notices of dead letters that belong to no saga', async () => {
      const writtenAt = Date.now();
      const stray = testMessage('PaymentCaptured', 'no-such-saga');
      await store.commit([], [deadLetterOf({ message: stray, reason: 'UNKNOWN_STREAM', error: 'no saga', attempts: 1 }, { consumer: 'saga-worker', topic: 'dead-letters', markApplied: true, now: () => new Date(writtenAt).toISOString() })]);
      await publishAll();

      expect(await store.prune(policy, at(writtenAt, 10 * HOUR_MS))).toEqual({ publishedOutbox: 1, appliedMessageIds: 1, idempotencyKeys: 0 });
      // The letter itself is what an operator reads: it stays.
      expect(await store.deadLetters({ streamId: 'no-such-saga', limit: 10 })).toHaveLength(1);
    });

    it('deletes at most a batch of each table per call', async () => {
      const writtenAt = Date.now();
      await store.commit(Array.from({ length: 25 }, (_, i) => started(`done-${i}`, 'done')));
      await publishAll();
      const small = { ...policy, batchSize: 10 };
      const later = at(writtenAt, 10 * HOUR_MS);

      expect(await store.prune(small, later)).toEqual({ publishedOutbox: 10, appliedMessageIds: 10, idempotencyKeys: 10 });
      expect(await store.prune(small, later)).toEqual({ publishedOutbox: 10, appliedMessageIds: 10, idempotencyKeys: 10 });
      expect(await store.prune(small, later)).toEqual({ publishedOutbox: 10, appliedMessageIds: 10, idempotencyKeys: 5 });
      expect(await store.prune(small, later)).toEqual({ publishedOutbox: 10, appliedMessageIds: 10, idempotencyKeys: 0 });
      expect(await store.prune(small, later)).toEqual({ publishedOutbox: 10, appliedMessageIds: 10, idempotencyKeys: 0 });
      expect(await store.prune(small, later)).toEqual({ publishedOutbox: 0, appliedMessageIds: 0, idempotencyKeys: 0 });
    });
    it('hands out finished streams older than a time, oldest first, with every event, and deletes them whole', async () => {
      await store.commit([started('old-done', 'active'), started('in-flight', 'active')]);
      await store.commit([change('old-done', 1, { status: 'done', events: [testMessage('Ended', 'old-done')] })]);
      await publishAll();
      const after = new Date(Date.now() + MARGIN_MS).toISOString();

      expect(await store.finishedStreams(new Date(Date.now() - MARGIN_MS).toISOString(), 10)).toEqual([]);
      const finished = await store.finishedStreams(after, 10);
      expect(finished.map((s) => s.head)).toEqual([{ streamId: 'old-done', machineId: 'machine', machineVersion: 1, version: 2, status: 'done' }]);
      expect(finished[0]!.events.map((e) => [e.version, e.message.type])).toEqual([[1, 'Happened'], [2, 'Ended']]);
      expect(Date.parse(finished[0]!.finishedAt)).not.toBeNaN();

      // An active or unknown stream is never deleted, whatever it is asked.
      expect(await store.deleteFinished(['old-done', 'in-flight', 'no-such'])).toEqual(['old-done']);
      expect(await store.load('old-done')).toBeUndefined();
      expect(await store.readStream('old-done')).toEqual([]);
      expect((await store.appliedAmong(['old-done/placed', 'in-flight/placed'])).size).toBe(1);
      expect(await store.findIdempotencyKey('key-old-done')).toBeUndefined();
      expect(await store.findIdempotencyKey('key-in-flight')).toBeDefined();
      expect((await store.load('in-flight'))?.head.status).toBe('active');
      expect(await store.finishedStreams(after, 10)).toEqual([]);
    });

    it('keeps a finished stream whose outbox is not all published: those rows are its last messages', async () => {
      await store.commit([started('unsent', 'done')]);
      const after = new Date(Date.now() + MARGIN_MS).toISOString();
      expect(await store.finishedStreams(after, 10)).toEqual([]);
      expect(await store.deleteFinished(['unsent'])).toEqual([]);
      await publishAll();
      expect((await store.finishedStreams(after, 10)).map((s) => s.head.streamId)).toEqual(['unsent']);
    });
  });
}
