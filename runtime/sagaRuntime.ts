import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { isXsagaError, XsagaError } from './errors.ts';
import { createGroupCommit } from './groupCommit.ts';
import { collectEffects, noEffects, type Effects } from './effects.ts';
import { LruCache } from './lruCache.ts';
import { stepperFor } from './machineStepper.ts';
import { toMachineEvent } from './machineEvent.ts';
import type { Envelope, Message } from './message.ts';
import type { MachineRegistry, SagaDefinition } from './sagaDefinition.ts';
import type { LoadedStream, OutboxRecord, SagaStore, StreamChange } from './sagaStore.ts';

/** A hydrated saga: the machine snapshot at a stream version. */
export type LiveSaga = Readonly<{
  streamId: string;
  definition: SagaDefinition;
  snapshot: AnyMachineSnapshot;
  version: number;
  eventsSinceSnapshot: number;
}>;

export type SagaRuntimeOptions = Readonly<{
  store: SagaStore;
  registry: MachineRegistry;
  /** Live sagas kept in memory; older ones are hydrated again from the store. */
  cacheSize?: number;
  /** A snapshot is stored once a stream has this many events past the last one. */
  snapshotEvery?: number;
  /** Called with the outbox records of every commit that wrote some, for the writer to publish them at once. */
  onCommitted?: (outbox: readonly OutboxRecord[]) => void;
  log?: (message: string) => void;
}>;

export type StartResult = Readonly<{ streamId: string; version: number }>;

export type SagaRuntime = Readonly<{
  /** Starts a saga from its first event, in one transaction with the commands it emits. */
  start(definition: SagaDefinition, startMessage: Message, options?: { idempotencyKey?: { key: string; requestHash: string } }): Promise<StartResult>;
  /** Applies a batch of inbox messages, possibly for many sagas, in one transaction. */
  handle(messages: readonly Message[]): Promise<void>;
  /** The saga as of its latest committed version (cache or store). */
  hydrate(streamId: string): Promise<LiveSaga | undefined>;
  /** Drops cached sagas, e.g. when a partition is handed to another worker. */
  evict(streamIds?: readonly string[]): void;
}>;

const MAX_CONCURRENCY_RETRIES = 5;

/** Folds a stored stream through its machine; replay executes nothing. */
export function replayStream(definition: SagaDefinition, loaded: LoadedStream): LiveSaga {
  const { machine } = definition;
  const stepper = stepperFor(machine);
  let snapshot: AnyMachineSnapshot | undefined;
  if (loaded.snapshot && loaded.snapshot.machineVersion === definition.version) {
    snapshot = machine.resolveState(loaded.snapshot.state as Parameters<AnyStateMachine['resolveState']>[0]);
  } else if (loaded.snapshot) {
    throw new XsagaError('MACHINE_NOT_REGISTERED', `Snapshot of ${loaded.head.streamId} is of machine version ${loaded.snapshot.machineVersion}`);
  }
  for (const event of loaded.events) {
    if (!snapshot) {
      snapshot = stepper.initial(definition.input(event.message))[0];
    } else {
      snapshot = stepper.next(snapshot, toMachineEvent(event.message))[0];
    }
  }
  if (!snapshot) throw new XsagaError('NOT_FOUND', `Stream ${loaded.head.streamId} has no events`);
  return {
    streamId: loaded.head.streamId,
    definition,
    snapshot,
    version: loaded.head.version,
    eventsSinceSnapshot: loaded.events.length,
  };
}

export function createSagaRuntime(options: SagaRuntimeOptions): SagaRuntime {
  const { store, registry } = options;
  const cache = new LruCache<string, LiveSaga>(options.cacheSize ?? 10_000);
  const snapshotEvery = options.snapshotEvery ?? 25;
  const log = options.log ?? (() => undefined);
  const commitAndHandOver = async (changes: readonly StreamChange[]) => {
    const outbox = await store.commit(changes);
    if (outbox.length > 0) options.onCommitted?.(outbox);
  };
  const commitStart = createGroupCommit<StreamChange>(commitAndHandOver);

  async function hydrate(streamId: string): Promise<LiveSaga | undefined> {
    return (await hydrateMany([streamId]))[0];
  }

  /** Cached sagas as they are; the others loaded together, in a fixed number of queries, and replayed. */
  async function hydrateMany(streamIds: readonly string[]): Promise<(LiveSaga | undefined)[]> {
    const found = new Map<string, LiveSaga>();
    for (const streamId of streamIds) {
      const cached = cache.get(streamId);
      if (cached) found.set(streamId, cached);
    }
    const missing = streamIds.filter((streamId) => !found.has(streamId));
    if (missing.length > 0) {
      for (const loaded of (await store.loadMany(missing)).values()) {
        const live = await revive(loaded);
        cache.set(live.streamId, live);
        found.set(live.streamId, live);
      }
    }
    return streamIds.map((streamId) => found.get(streamId));
  }

  async function revive(loaded: LoadedStream): Promise<LiveSaga> {
    if (loaded.snapshot && loaded.snapshot.machineVersion !== loaded.head.machineVersion) {
      // A snapshot is a cache: one taken by another machine version is ignored, the events are the truth.
      loaded = { head: loaded.head, snapshot: undefined, events: await store.readStream(loaded.head.streamId, 1) };
    }
    const definition = registry.get(loaded.head.machineId, loaded.head.machineVersion);
    if (!definition) {
      throw new XsagaError('MACHINE_NOT_REGISTERED', `Machine ${loaded.head.machineId}@${loaded.head.machineVersion} is not registered`);
    }
    return replayStream(definition, loaded);
  }

  function viewFact(live: LiveSaga, updatedAt: string, cause: Message): Envelope {
    const { definition } = live;
    const view = definition.view({ streamId: live.streamId, version: live.version, snapshot: live.snapshot, updatedAt });
    return {
      topic: definition.factsTopic,
      key: live.streamId,
      message: {
        type: 'SagaViewUpdated',
        data: { streamId: live.streamId, machineId: definition.machine.id, version: live.version, view },
        metadata: { messageId: `${live.streamId}/${live.version}/view`, correlationId: live.streamId, causationId: cause.metadata.messageId, occurredAt: updatedAt },
      },
    };
  }

  function toChange(before: LiveSaga | undefined, after: LiveSaga, events: Message[], effects: Effects, applied: string[]): StreamChange {
    const takeSnapshot = events.length > 0 && after.eventsSinceSnapshot >= snapshotEvery;
    return {
      streamId: after.streamId,
      machineId: after.definition.machine.id,
      machineVersion: after.definition.version,
      expectedVersion: before?.version ?? 0,
      events,
      status: after.snapshot.status === 'active' ? 'active' : 'done',
      snapshot: takeSnapshot
        ? { version: after.version, machineVersion: after.definition.version, state: after.definition.machine.getPersistedSnapshot(after.snapshot) }
        : undefined,
      outbox: effects.outbox,
      timersArmed: [...effects.timersArmed.values()],
      timersCancelled: [...effects.timersCancelled],
      appliedMessageIds: applied,
    };
  }

  async function start(definition: SagaDefinition, startMessage: Message, startOptions: { idempotencyKey?: { key: string; requestHash: string } } = {}) {
    const streamId = startMessage.metadata.correlationId;
    const [snapshot, actions] = stepperFor(definition.machine).initial(definition.input(startMessage));
    const live: LiveSaga = { streamId, definition, snapshot, version: 1, eventsSinceSnapshot: 1 };
    const effects = collectEffects(actions, { streamId, version: 1, cause: startMessage, topicOf: definition.topicOf }, noEffects());
    effects.outbox.push(viewFact(live, startMessage.metadata.occurredAt, startMessage));
    const change = toChange(undefined, live, [startMessage], effects, [startMessage.metadata.messageId]);
    await commitStart({ ...change, idempotencyKey: startOptions.idempotencyKey });
    cache.set(streamId, live);
    return { streamId, version: 1 };
  }

  async function processBatch(messages: readonly Message[]): Promise<void> {
    const unique = new Map<string, Message>();
    for (const message of messages) if (!unique.has(message.metadata.messageId)) unique.set(message.metadata.messageId, message);
    const alreadyApplied = await store.appliedAmong([...unique.keys()]);
    const byStream = new Map<string, Message[]>();
    for (const message of unique.values()) {
      if (alreadyApplied.has(message.metadata.messageId)) continue;
      const list = byStream.get(message.metadata.correlationId);
      if (list) list.push(message);
      else byStream.set(message.metadata.correlationId, [message]);
    }
    if (byStream.size === 0) return;

    const streamIds = [...byStream.keys()];
    const hydrated = await hydrateMany(streamIds);
    const changes: StreamChange[] = [];
    const updated: LiveSaga[] = [];
    streamIds.forEach((streamId, i) => {
      const before = hydrated[i];
      if (!before) {
        log(`dropping ${byStream.get(streamId)!.length} message(s) for unknown saga ${streamId}`);
        return;
      }
      let live = before;
      const events: Message[] = [];
      const applied: string[] = [];
      const effects = noEffects();
      for (const message of byStream.get(streamId)!) {
        applied.push(message.metadata.messageId);
        const event = toMachineEvent(message);
        // A late or duplicate reply the current state does not accept is not a fact of this saga.
        if (!live.snapshot.can(event)) continue;
        const [snapshot, actions] = stepperFor(live.definition.machine).next(live.snapshot, event);
        const version = live.version + 1;
        collectEffects(actions, { streamId, version, cause: message, topicOf: live.definition.topicOf }, effects);
        live = { ...live, snapshot, version, eventsSinceSnapshot: live.eventsSinceSnapshot + 1 };
        events.push(message);
      }
      if (events.length > 0) effects.outbox.push(viewFact(live, events.at(-1)!.metadata.occurredAt, events.at(-1)!));
      const change = toChange(before, live, events, effects, applied);
      if (change.snapshot) live = { ...live, eventsSinceSnapshot: 0 };
      changes.push(change);
      updated.push(live);
    });
    await commitAndHandOver(changes);
    for (const live of updated) cache.set(live.streamId, live);
  }

  async function handle(messages: readonly Message[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await processBatch(messages);
      } catch (error) {
        if (!isXsagaError(error, 'CONCURRENCY') || attempt >= MAX_CONCURRENCY_RETRIES) throw error;
        // Another writer moved one of these streams: forget what we cached and read them again.
        for (const message of messages) cache.delete(message.metadata.correlationId);
      }
    }
  }

  return {
    start,
    handle,
    hydrate,
    evict(streamIds) {
      if (!streamIds) cache.clear();
      else for (const id of streamIds) cache.delete(id);
    },
  };
}
