import type { Span } from '@opentelemetry/api';
import { awaitedAfter, noAwaitedCommands } from './awaitedCommands.ts';
import { isoNow, systemClock, type Clock } from './clock.ts';
import { asText, deadLetterOf, type DeadLetter, type DeadLetterReason } from './deadLetter.ts';
import { collectEffects, noEffects } from './effects.ts';
import { isXsagaError, XsagaError } from './errors.ts';
import { isRejectedData } from './failures.ts';
import { createGroupCommit } from './groupCommit.ts';
import { silentLogger, type Logger } from './logger.ts';
import { LruCache } from './lruCache.ts';
import { stepperFor } from './machineStepper.ts';
import { envelopeProblem, type Message } from './message.ts';
import { UNDECODABLE, type UndecodableData } from './messageBus.ts';
import { createPoisonIsolation, type Held } from './poisonIsolation.ts';
import { noRuntimeMetrics, type RuntimeMetrics } from './runtimeMetrics.ts';
import type { MachineRegistry, SagaDefinition } from './sagaDefinition.ts';
import { foldMessages, machineOf, replayStream, toChange, viewFactOf, type LiveSaga } from './sagaFold.ts';
import { sagaLogFields } from './sagaLogFields.ts';
import { reportProgress } from './sagaProgress.ts';
import { startedTimes, type StateLeft } from './sagaTimes.ts';
import type { LoadedStream, OutboxRecord, SagaStore, StreamChange } from './sagaStore.ts';
import { endSpans } from './messageSpan.ts';
import { startTransitionSpan } from './transitionSpan.ts';
import { stateName } from './stateName.ts';

export { replayStream, type LiveSaga } from './sagaFold.ts';

export type SagaRuntimeOptions = Readonly<{
  store: SagaStore;
  registry: MachineRegistry;
  /** Live sagas kept in memory; older ones are hydrated again from the store. */
  cacheSize?: number;
  /** A snapshot is stored once a stream has this many events past the last one. */
  snapshotEvery?: number;
  /** Called with the outbox records of every commit that wrote some, for the writer to publish them at once. */
  onCommitted?: (outbox: readonly OutboxRecord[]) => void;
  /** Where dead letters are announced (`<prefix>.dead-letters`). */
  deadLetterTopic?: string;
  /**
   * Attempts at a message whose saga cannot be loaded (its machine version is not registered, its
   * stream does not replay) before it is dead-lettered. Deterministic failures are not retried.
   */
  poisonAttempts?: number;
  /** The wait before the n-th retry of such a message is n times this. */
  poisonRetryDelayMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Told of sagas started, moved and ended, cache lookups, timers armed and dead letters, once committed. */
  metrics?: RuntimeMetrics;
}>;

export type StartResult = Readonly<{ streamId: string; version: number }>;

export type SagaRuntime = Readonly<{
  /** Starts a saga from its first event, in one transaction with the commands it emits. */
  start(definition: SagaDefinition, startMessage: Message, options?: { idempotencyKey?: { key: string; requestHash: string } }): Promise<StartResult>;
  /**
   * Applies a batch of inbox messages, possibly for many sagas, in one transaction. A message that
   * cannot be handled is dead-lettered, the others commit; it rejects only when the store fails
   * (the bus then delivers the batch again).
   */
  handle(messages: readonly Message[]): Promise<void>;
  /** The saga as of its latest committed version (cache or store). */
  hydrate(streamId: string): Promise<LiveSaga | undefined>;
  /** The saga as the store holds it now, never this process's cache: another process may have moved it. */
  loadStored(streamId: string): Promise<LiveSaga | undefined>;
  /** Drops cached sagas, e.g. when a partition is handed to another worker. */
  evict(streamIds?: readonly string[]): void;
}>;

/** The consumer name of the saga worker in dead letters. */
export const SAGA_WORKER = 'saga-worker';

const MAX_CONCURRENCY_RETRIES = 5;

/** A saga that could not be brought to life; its messages wait for another attempt. */
type Unloadable = Omit<Held, 'message'>;

/** A saga a commit moved, and the events that moved it. */
type Moved = Readonly<{ before: LiveSaga; live: LiveSaga; events: readonly Message[]; left: readonly StateLeft[] }>;

export function createSagaRuntime(options: SagaRuntimeOptions): SagaRuntime {
  const { store, registry } = options;
  const cache = new LruCache<string, LiveSaga>(options.cacheSize ?? 10_000);
  const snapshotEvery = options.snapshotEvery ?? 25;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noRuntimeMetrics;
  const deadLetterOptions = { consumer: SAGA_WORKER, topic: options.deadLetterTopic ?? 'xsaga.dead-letters', markApplied: true, now: () => isoNow(clock) };
  /** Commits, then says what was committed: a commit that failed is delivered again, and logged then. */
  const commitAndHandOver = async (changes: readonly StreamChange[], letters: readonly DeadLetter[] = [], moved: readonly Moved[] = []) => {
    const outbox = await store.commit(changes, letters);
    for (const { live, events } of moved) logMoved(live, events);
    for (const letter of letters) {
      logDeadLetter(letter, moved.find((m) => m.live.streamId === letter.streamId)?.live.version);
      metrics.deadLettered(letter.consumer, letter.reason, 1);
    }
    const timersArmed = changes.reduce((sum, change) => sum + change.timersArmed.length, 0);
    if (timersArmed > 0) metrics.timersArmed(timersArmed);
    if (outbox.length > 0) options.onCommitted?.(outbox);
  };
  const commitStart = createGroupCommit<StreamChange>((changes) => commitAndHandOver(changes));

  /** Every saga's routine, its end included, is debug: at info, a busy system would log in proportion to its traffic. */
  function logMoved(live: LiveSaga, events: readonly Message[]): void {
    const fields = { ...sagaLogFields(live, events.at(-1)), state: stateName(live.snapshot.value), events: events.map((event) => event.type) };
    logger.debug(fields, live.snapshot.status === 'done' ? 'saga ended' : 'saga moved');
  }

  /** A dead letter is the one line about a saga that needs a human, so it names the saga like every other. */
  function logDeadLetter(letter: DeadLetter, version: number | undefined): void {
    const known = version ?? (letter.streamId ? cache.get(letter.streamId)?.version : undefined);
    logger.warn(
      { sagaId: letter.streamId || undefined, machine: letter.machine, version: known, consumer: SAGA_WORKER, messageId: letter.messageKey, reason: letter.reason, attempts: letter.attempts, error: letter.error },
      'dead-lettered a message',
    );
  }

  const letterOf = (message: unknown, reason: DeadLetterReason, error: unknown, tries: number, machine?: string, headers?: Record<string, string>) =>
    deadLetterOf({ message, reason, error, attempts: tries, machine, headers }, deadLetterOptions);

  /** Dead letters alone; JSON that jsonb unexpectedly refuses is written again as text. */
  async function commitLetters(letters: readonly DeadLetter[]): Promise<void> {
    try {
      await commitAndHandOver([], letters);
    } catch (error) {
      if (!isRejectedData(error)) throw error;
      await commitAndHandOver([], letters.map(asText));
    }
  }

  // Not cached: a worker in this process may commit a newer version meanwhile, and the cache must not go back.
  async function loadStored(streamId: string): Promise<LiveSaga | undefined> {
    const [loaded] = (await store.loadMany([streamId])).values();
    if (!loaded) return undefined;
    const live = await revive(loaded);
    if ('error' in live) throw live.error;
    return live;
  }

  async function hydrate(streamId: string): Promise<LiveSaga | undefined> {
    const found = (await hydrateMany([streamId])).get(streamId);
    if (found && 'error' in found) throw found.error;
    return found;
  }

  /** Cached sagas as they are; the others loaded together, in a fixed number of queries, and replayed one by one. */
  async function hydrateMany(streamIds: readonly string[]): Promise<Map<string, LiveSaga | Unloadable>> {
    const found = new Map<string, LiveSaga | Unloadable>();
    const missing: string[] = [];
    for (const streamId of streamIds) {
      const cached = cache.get(streamId);
      if (cached) found.set(streamId, cached);
      else missing.push(streamId);
    }
    metrics.actorCacheLookups(found.size, missing.length);
    if (missing.length === 0) return found;
    for (const loaded of (await store.loadMany(missing)).values()) {
      const live = await revive(loaded);
      if ('snapshot' in live) cache.set(live.streamId, live);
      found.set(loaded.head.streamId, live);
    }
    return found;
  }

  /** The saga of a loaded stream; what keeps it from being replayed is the saga's problem, a store failure is thrown. */
  async function revive(loaded: LoadedStream): Promise<LiveSaga | Unloadable> {
    const { head } = loaded;
    if (loaded.snapshot && (loaded.snapshot.machineVersion !== head.machineVersion || loaded.snapshot.awaiting === undefined)) {
      // A snapshot is a cache: one of another machine version, or without the awaited commands, is ignored; the events are the truth.
      loaded = { head, snapshot: undefined, events: await store.readStream(head.streamId, 1) };
    }
    const machine = `${head.machineId}@${head.machineVersion}`;
    const definition = registry.get(head.machineId, head.machineVersion);
    if (!definition) {
      return { reason: 'MACHINE_NOT_REGISTERED', error: new XsagaError('MACHINE_NOT_REGISTERED', `Machine ${machine} is not registered`), machine };
    }
    try {
      return replayStream(definition, loaded);
    } catch (error) {
      return { reason: 'REPLAY_FAILED', error, machine };
    }
  }

  async function start(definition: SagaDefinition, startMessage: Message, startOptions: { idempotencyKey?: { key: string; requestHash: string } } = {}) {
    const streamId = startMessage.metadata.correlationId;
    const rule = definition.events[definition.startEvent];
    const problem =
      startMessage.type !== definition.startEvent
        ? `a saga of ${machineOf(definition)} starts with ${definition.startEvent}, not ${startMessage.type}`
        : (envelopeProblem(startMessage) ?? (rule ? rule.check(startMessage.data) : `${machineOf(definition)} declares no rule for its start event`));
    if (problem !== undefined) throw new XsagaError('VALIDATION', `${startMessage.type} of ${streamId}: ${problem}`);
    const [snapshot, actions] = stepperFor(definition.machine).initial(definition.input(startMessage));
    const transition = startTransitionSpan(definition, { streamId, message: startMessage, before: undefined, after: snapshot, version: 1 });
    try {
      const awaiting = awaitedAfter(noAwaitedCommands, startMessage, definition.events, { actions, streamId, version: 1 });
      const times = startedTimes(startMessage.metadata.occurredAt);
      const live: LiveSaga = { streamId, definition, snapshot, version: 1, eventsSinceSnapshot: 1, awaiting, times };
      const effects = collectEffects(actions, { streamId, version: 1, cause: startMessage, topicOf: definition.topicOf, trace: transition.trace }, noEffects());
      effects.outbox.push(viewFactOf(live, startMessage, transition.trace));
      const change = toChange(undefined, live, { events: [startMessage], effects, applied: [startMessage.metadata.messageId] }, snapshotEvery);
      await commitStart({ ...change, idempotencyKey: startOptions.idempotencyKey });
      cache.set(streamId, live);
      logger.debug({ ...sagaLogFields(live, startMessage), state: stateName(snapshot.value) }, 'saga started');
      reportProgress(metrics, undefined, live, []);
    } catch (error) {
      endSpans([transition.span], error);
      throw error;
    }
    endSpans([transition.span]);
    return { streamId, version: 1 };
  }

  /**
   * One batch, one commit: every saga's messages folded, and the messages that are no fact of
   * their saga dead-lettered in the same commit. Messages of a saga that cannot be loaded are
   * held back and returned; a failure of the store is thrown.
   *
   * The applied ids are read only when `readApplied` (a retry) or when the batch has letters: a
   * message applied before makes the commit's own applied-id insert fail as CONCURRENCY, and the
   * retry then reads them and skips it. Redeliveries are rare, so most batches save that read.
   */
  async function processBatch(messages: readonly Message[], readApplied: boolean): Promise<Held[]> {
    const letters: DeadLetter[] = [];
    const unique = new Map<string, Message>();
    for (const message of messages) {
      if (message?.type === UNDECODABLE && envelopeProblem(message) === undefined) {
        const data = message.data as UndecodableData;
        letters.push(letterOf(message, 'UNDECODABLE', data.error, 1, undefined, { ...data.headers }));
        continue;
      }
      const problem = envelopeProblem(message);
      if (problem !== undefined) letters.push(letterOf(message, 'MALFORMED', problem, 1));
      else if (!unique.has(message.metadata.messageId)) unique.set(message.metadata.messageId, message);
    }
    const alreadyApplied =
      readApplied || letters.length > 0 ? await store.appliedAmong([...unique.keys(), ...letters.map((letter) => letter.messageKey)]) : new Set<string>();
    const deadLetters = letters.filter((letter, i) => !alreadyApplied.has(letter.messageKey) && letters.findIndex((l) => l.id === letter.id) === i);
    const byStream = new Map<string, Message[]>();
    for (const message of unique.values()) {
      if (alreadyApplied.has(message.metadata.messageId)) continue;
      const list = byStream.get(message.metadata.correlationId);
      if (list) list.push(message);
      else byStream.set(message.metadata.correlationId, [message]);
    }
    if (byStream.size === 0 && deadLetters.length === 0) return [];

    const hydrated = await hydrateMany([...byStream.keys()]);
    const changes: StreamChange[] = [];
    const moved: Moved[] = [];
    const held: Held[] = [];
    const spans: Span[] = [];
    for (const [streamId, list] of byStream) {
      const before = hydrated.get(streamId);
      if (!before) {
        for (const message of list) deadLetters.push(letterOf(message, 'UNKNOWN_STREAM', `no saga ${streamId}`, 1));
        continue;
      }
      if (!('snapshot' in before)) {
        for (const message of list) held.push({ message, ...before });
        continue;
      }
      const folded = foldMessages(before, list);
      spans.push(...folded.spans);
      for (const { message, reason, error } of folded.refused) deadLetters.push(letterOf(message, reason, error, 1, machineOf(before.definition)));
      if (folded.applied.length === 0) continue;
      let live = folded.live;
      const change = toChange(before, live, folded, snapshotEvery);
      if (change.snapshot) live = { ...live, eventsSinceSnapshot: 0 };
      changes.push(change);
      moved.push({ before, live, events: folded.events, left: folded.left });
    }
    try {
      await commitAndHandOver(changes, deadLetters, moved);
    } catch (error) {
      // A batch that did not commit is tried again (split, or after a concurrency retry): these transitions did not happen.
      endSpans(spans, error);
      throw error;
    }
    endSpans(spans);
    for (const { before, live, left } of moved) {
      cache.set(live.streamId, live);
      reportProgress(metrics, before, live, left);
    }
    return held;
  }

  async function withConcurrencyRetries(messages: readonly Message[]): Promise<Held[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await processBatch(messages, attempt > 1);
      } catch (error) {
        if (!isXsagaError(error, 'CONCURRENCY') || attempt >= MAX_CONCURRENCY_RETRIES) throw error;
        // Another writer moved one of these streams: forget what we cached and read them again.
        for (const message of messages) if (typeof message?.metadata?.correlationId === 'string') cache.delete(message.metadata.correlationId);
      }
    }
  }

  const handle = createPoisonIsolation({
    process: withConcurrencyRetries,
    commitLetters,
    letterOf: (message, reason, error, tries, machine) => letterOf(message, reason, error, tries, machine),
    machineOf: (message) => {
      const live = typeof message?.metadata?.correlationId === 'string' ? cache.get(message.metadata.correlationId) : undefined;
      return live ? machineOf(live.definition) : undefined;
    },
    attempts: options.poisonAttempts ?? 3,
    retryDelayMs: options.poisonRetryDelayMs ?? 100,
    logger,
  });

  return {
    start,
    handle,
    hydrate,
    loadStored,
    evict(streamIds) {
      if (!streamIds) cache.clear();
      else for (const id of streamIds) cache.delete(id);
    },
  };
}
