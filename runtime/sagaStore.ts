import type { DeadLetter, SagaAttention, StoredDeadLetter } from './deadLetter.ts';
import type { Envelope, Message } from './message.ts';
import type { TraceContext } from './traceContext.ts';
import type { SagaTimes } from './sagaTimes.ts';

export type StreamStatus = 'active' | 'done';

/** A stored event and its position in its stream (1-based). */
export type StoredEvent = Readonly<{ version: number; message: Message }>;

/**
 * A cache of the fold at `version`: the machine's persisted snapshot and the commands it awaits
 * (id → type). A snapshot stored without `awaiting` (before replies were checked) is not used.
 * `times` (when the saga began and entered its state) is absent from snapshots stored before it was kept.
 */
export type StoredSnapshot = Readonly<{
  version: number;
  machineVersion: number;
  state: unknown;
  awaiting?: readonly (readonly [string, string])[];
  times?: SagaTimes;
}>;

export type StreamHead = Readonly<{
  streamId: string;
  machineId: string;
  machineVersion: number;
  version: number;
  status: StreamStatus;
  /** `machineFingerprint` of the machine the stream runs on, stored with its first event (or its migration); absent on older streams. */
  machineFingerprint?: string;
}>;

/** What a caller needs to rebuild a saga: its head, its latest snapshot and the events after it. */
export type LoadedStream = Readonly<{ head: StreamHead; snapshot: StoredSnapshot | undefined; events: readonly StoredEvent[] }>;

/**
 * A delayed event that the scheduler will deliver to the saga's inbox when it is due; `trace` is the
 * span of the transition that armed it, which the firing continues.
 */
export type DurableTimer = Readonly<{ timerId: string; dueAt: string; event: unknown; armedVersion: number; trace?: TraceContext }>;

/** Everything one saga step writes, committed atomically with the other changes of its batch. */
export type StreamChange = Readonly<{
  streamId: string;
  machineId: string;
  machineVersion: number;
  /** 0 when the stream is new. */
  expectedVersion: number;
  /** Written with the stream's first change, and when a migration moves it to another version; kept otherwise. */
  machineFingerprint?: string;
  /** A migration: every timer of the stream not in `timersArmed` goes, the old version's with them. */
  cancelAllTimers?: boolean;
  events: readonly Message[];
  status: StreamStatus;
  snapshot?: StoredSnapshot;
  outbox: readonly Envelope[];
  timersArmed: readonly DurableTimer[];
  timersCancelled: readonly string[];
  appliedMessageIds: readonly string[];
  /** Set on a stream's first change when a client sent an Idempotency-Key. */
  idempotencyKey?: Readonly<{ key: string; requestHash: string }>;
}>;

export type OutboxRecord = Readonly<{ id: string; envelope: Envelope }>;

export type IdempotencyRecord = Readonly<{ streamId: string; requestHash: string }>;

/**
 * How long housekeeping rows are kept, and how many of each table one `prune` call deletes at most.
 * Nothing of a saga still in flight is pruned, whatever its age.
 */
export type RetentionPolicy = Readonly<{
  /** Published outbox rows, counted from their commit. */
  publishedOutboxMs: number;
  /** Applied message ids, counted from their commit: longer than the bus can deliver a message again. */
  appliedMessageIdsMs: number;
  /** Idempotency keys of finished sagas, counted from the request that used them first. */
  idempotencyKeysMs: number;
  batchSize: number;
}>;

/** A finished stream as an archive keeps it: its head, when it finished, and every event, enough to replay it anywhere. */
export type ArchivedStream = Readonly<{ head: StreamHead; finishedAt: string; events: readonly StoredEvent[] }>;

/** What waits in the store now, by the store's clock; an age is 0 when nothing waits. */
export type StoreBacklog = Readonly<{
  /** Outbox rows committed but not yet published, and the age of the oldest. */
  unpublishedOutbox: number;
  oldestUnpublishedAgeMs: number;
  /** Durable timers waiting to fire, those already due, and how long ago the oldest due one was due. */
  timersArmed: number;
  timersOverdue: number;
  oldestOverdueAgeMs: number;
  /** Sagas with a dead letter nobody replayed: they need a person. */
  sagasWithDeadLetters: number;
}>;

/** The rows one `prune` call deleted, per table. */
export type PrunedRows = Readonly<{ publishedOutbox: number; appliedMessageIds: number; idempotencyKeys: number }>;

/**
 * The event store port: streams, snapshots, outbox, durable timers and applied message ids live
 * together because one saga step must write all of them in a single transaction.
 */
export interface SagaStore {
  /**
   * Applies the changes of a batch, and the dead letters it produced, in one transaction; throws
   * CONCURRENCY if any stream moved or a message was applied meanwhile. Resolves to the outbox
   * records it wrote (the changes' in order, then the dead letters'), for the writer to publish at once.
   */
  commit(changes: readonly StreamChange[], deadLetters?: readonly DeadLetter[]): Promise<readonly OutboxRecord[]>;
  load(streamId: string): Promise<LoadedStream | undefined>;
  /** `load` for many streams at once, in a fixed number of queries; unknown streams are absent. */
  loadMany(streamIds: readonly string[]): Promise<ReadonlyMap<string, LoadedStream>>;
  readStream(streamId: string, fromVersion?: number): Promise<readonly StoredEvent[]>;
  /** The subset of `messageIds` already applied. */
  appliedAmong(messageIds: readonly string[]): Promise<ReadonlySet<string>>;
  findIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined>;
  /** Unpublished outbox records in commit order; with `olderThanMs`, only those committed at least that long ago (by the store's clock). */
  pendingOutbox(limit: number, options?: { olderThanMs?: number }): Promise<readonly OutboxRecord[]>;
  markPublished(ids: readonly string[]): Promise<void>;
  /** Every outbox record of the still-active streams, in order: replayed after a restart of an in-memory bus. */
  outboxOfActiveStreams(): Promise<readonly OutboxRecord[]>;
  /** Moves due timers into the outbox as inbox messages, atomically; returns the outbox records written, for their writer to publish. */
  fireDueTimers(now: string, limit: number, toEnvelope: (streamId: string, timer: DurableTimer) => Envelope): Promise<readonly OutboxRecord[]>;
  nextTimerDue(): Promise<string | undefined>;
  /**
   * Calls `onArmed` with the due time of each commit's earliest timer when that is less than a
   * second away (a retry's backoff, not a deadline), in this process and, where the database can
   * tell other processes (PostgreSQL's NOTIFY), in every process on this store: the scheduler then
   * fires it on time rather than at its next look. A hint that may be missed: the scheduler still looks.
   * Resolves to the function that stops the watch.
   */
  watchArmedTimers(onArmed: (dueAt: string) => void): Promise<() => Promise<void>>;
  /** Stream heads by id, page by page; with `status`, only the streams in it (the deploy gate pages through the active ones). */
  listStreams(options: { afterStreamId?: string; limit: number; status?: StreamStatus }): Promise<readonly StreamHead[]>;
  /**
   * Dead letters of a consumer that commits nothing else here (participants, the projector): the
   * rows and their outbox messages in one transaction; a letter already recorded is left as it is.
   */
  deadLetter(letters: readonly DeadLetter[]): Promise<readonly OutboxRecord[]>;
  /** Dead letters, newest first; of one stream with `streamId`. */
  deadLetters(query: { streamId?: string; id?: string; unreplayed?: boolean; limit: number }): Promise<readonly StoredDeadLetter[]>;
  /** The streams among `streamIds` that have dead letters nobody replayed: they need a person. */
  attention(streamIds: readonly string[]): Promise<ReadonlyMap<string, SagaAttention>>;
  /** Records that these dead letters were dealt with (replayed, or dismissed): their sagas no longer need attention for them. */
  markDeadLettersReplayed(ids: readonly string[]): Promise<void>;
  /**
   * Deletes at most `policy.batchSize` rows of each housekeeping table that `policy` no longer keeps
   * at `now` (ISO-8601), each table in a statement of its own so that no lock is held for long.
   * The streams, their events and snapshots are the history and stay.
   */
  prune(policy: RetentionPolicy, now: string): Promise<PrunedRows>;
  /** Finished streams last written before `before` with their outbox published, oldest first, each with every event: what an archive takes. */
  finishedStreams(before: string, limit: number): Promise<readonly ArchivedStream[]>;
  /**
   * Deletes finished streams whole — events, snapshot, outbox, timers, applied ids, idempotency keys —
   * in one transaction; an unknown or active stream, or one with unpublished outbox rows, is left alone. Resolves to the ids deleted.
   */
  deleteFinished(streamIds: readonly string[]): Promise<readonly string[]>;
  /** What waits: unpublished outbox rows, armed and overdue timers, dead-lettered sagas; one bounded statement. */
  backlog(): Promise<StoreBacklog>;
  close(): Promise<void>;
}
