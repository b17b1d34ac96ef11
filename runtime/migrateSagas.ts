import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { XsagaError } from './errors.ts';
import { machineFingerprint } from './machineFingerprint.ts';
import type { Message } from './message.ts';
import type { MachineRegistry, SagaDefinition } from './sagaDefinition.ts';
import { replayStream, viewFactOf, type LiveSaga } from './sagaFold.ts';
import { MACHINE_MIGRATED, migratedSnapshotOf, stateValueOf, type MachineMigratedData, type SagaMigration } from './sagaMigration.ts';
import type { DurableTimer, SagaStore, StreamChange, StreamHead } from './sagaStore.ts';
import { stateName } from './stateName.ts';

export type MigrateOptions = Readonly<{
  store: Pick<SagaStore, 'listStreams' | 'load' | 'readStream' | 'commit'>;
  registry: MachineRegistry;
  migration: SagaMigration;
  /** Only the sagas in this state of the old version (dotted). */
  state?: string;
  dryRun?: boolean;
  operator: string;
  /** When the migration happens (ISO-8601): the event's time, and where the new state's timers count from. */
  now: () => string;
  pageSize?: number;
}>;

export type MigratedSaga = Readonly<{ streamId: string; fromState: string; toState: string }>;
export type RefusedSaga = Readonly<{ streamId: string; fromState: string; reason: string }>;
export type MigrationReport = Readonly<{ dryRun: boolean; migrated: readonly MigratedSaga[]; refused: readonly RefusedSaga[] }>;

type Planned = Readonly<{ change: StreamChange; saga: MigratedSaga }> | Readonly<{ refused: RefusedSaga }>;

/**
 * Moves the active sagas of `migration.machineId` on version `from` to version `to`: each saga in
 * a state the migration maps gets a MachineMigrated event, its head moves to the new version with a
 * snapshot of the mapped state, the old version's timers go and the new state's are armed. A saga
 * in a state the migration does not map, or whose new state waits for a reply it never asked for,
 * is refused and left as it is. A dry run plans the same and writes nothing.
 * Rules: docs/decisions/0021-machine-migrations.md.
 *
 * @example
 * const report = await migrateSagas({ store, registry, migration, operator: 'ops@example', now: () => new Date().toISOString() });
 */
export async function migrateSagas(options: MigrateOptions): Promise<MigrationReport> {
  const { store, registry, migration } = options;
  const from = registry.get(migration.machineId, migration.from);
  const to = registry.get(migration.machineId, migration.to);
  if (!from || !to) throw new XsagaError('CONFIG', `${migration.machineId}@${from ? migration.to : migration.from} is not registered`);
  const migrated: MigratedSaga[] = [];
  const refused: RefusedSaga[] = [];
  const next = (after?: string) => store.listStreams({ afterStreamId: after, limit: options.pageSize ?? 200, status: 'active' });
  for (let page = await next(); page.length > 0; page = await next(page.at(-1)!.streamId)) {
    for (const head of page) {
      if (head.machineId !== migration.machineId || head.machineVersion !== migration.from) continue;
      const live = await liveSaga(store, from, head);
      const fromState = stateName(live.snapshot.value);
      if (options.state !== undefined && fromState !== options.state) continue;
      const planned = plan(live, to, migration, options);
      if ('refused' in planned) {
        refused.push(planned.refused);
        continue;
      }
      // One saga per commit: a saga that moved meanwhile fails its own commit only.
      if (!options.dryRun) await store.commit([planned.change]);
      migrated.push(planned.saga);
    }
  }
  return { dryRun: options.dryRun === true, migrated, refused };
}

/** The saga as its stream says, replayed from its events when the snapshot lacks what the runtime needs. */
async function liveSaga(store: MigrateOptions['store'], definition: SagaDefinition, head: StreamHead): Promise<LiveSaga> {
  let loaded = await store.load(head.streamId);
  if (!loaded) throw new XsagaError('NOT_FOUND', `no saga ${head.streamId}`);
  if (loaded.snapshot && (loaded.snapshot.machineVersion !== head.machineVersion || loaded.snapshot.awaiting === undefined)) {
    loaded = { head: loaded.head, snapshot: undefined, events: await store.readStream(head.streamId, 1) };
  }
  return replayStream(definition, loaded);
}

function plan(live: LiveSaga, to: SagaDefinition, migration: SagaMigration, options: MigrateOptions): Planned {
  const { streamId } = live;
  const fromState = stateName(live.snapshot.value);
  const rule = migration.states[fromState];
  const refuse = (reason: string): Planned => ({ refused: { streamId, fromState, reason } });
  if (!rule) return refuse(`the migration does not map ${fromState}`);
  const at = options.now();
  let context: unknown;
  try {
    context = rule.context ? rule.context(live.snapshot.context) : live.snapshot.context;
  } catch (error) {
    return refuse(`the context mapping of ${fromState} failed: ${(error as Error).message}`);
  }
  let target: AnyMachineSnapshot;
  try {
    target = to.machine.resolveState({ value: stateValueOf(rule.to), context } as Parameters<AnyStateMachine['resolveState']>[0]);
  } catch (error) {
    return refuse(`${rule.to} is no state of ${migration.machineId}@${migration.to}: ${(error as Error).message}`);
  }
  const toState = stateName(target.value);
  const waitsFor = repliesAwaitedIn(target, to);
  const awaiting = [...live.awaiting].filter(([, type]) => waitsFor.has(type));
  if (waitsFor.size > 0 && awaiting.length === 0) {
    return refuse(`${toState} waits for a reply to ${[...waitsFor].join(' or ')}, which the saga never asked for`);
  }
  const version = live.version + 1;
  const data: MachineMigratedData = {
    from: migration.from,
    to: migration.to,
    fromState,
    toState,
    operator: options.operator,
    at,
    state: { value: target.value, context: target.context },
    awaiting,
    ...(live.times.startedAt !== undefined && { startedAt: live.times.startedAt }),
  };
  const event: Message = { type: MACHINE_MIGRATED, data, metadata: { messageId: `${streamId}/${version}/migrated`, correlationId: streamId, causationId: `${streamId}/${live.version}`, occurredAt: at } };
  // What replay will restore: the snapshot the event recorded, not the one computed here.
  const snapshot = migratedSnapshotOf(to.machine, data);
  const after: LiveSaga = { streamId, definition: to, snapshot, version, eventsSinceSnapshot: 0, awaiting: new Map(awaiting), times: { startedAt: live.times.startedAt, enteredAt: at } };
  const change: StreamChange = {
    streamId,
    machineId: migration.machineId,
    machineVersion: migration.to,
    machineFingerprint: machineFingerprint(to.machine),
    expectedVersion: live.version,
    events: [event],
    status: snapshot.status === 'active' ? 'active' : 'done',
    snapshot: { version, machineVersion: migration.to, state: to.machine.getPersistedSnapshot(snapshot), awaiting, times: after.times },
    outbox: [viewFactOf(after, event)],
    timersArmed: timersOf(snapshot, to, { at, version }),
    timersCancelled: [],
    cancelAllTimers: true,
    appliedMessageIds: [event.metadata.messageId],
  };
  return { change, saga: { streamId, fromState, toState } };
}

/**
 * The command types whose replies the state waits for: those its atomic states answer themselves
 * (`answers` of the definition's event rules). A reply a parent accepts is also taken, late, by a
 * child that waits for something else (a backoff's timer, an operator): that child waits for no reply.
 */
function repliesAwaitedIn(snapshot: AnyMachineSnapshot, definition: SagaDefinition): Set<string> {
  const commands = new Set<string>();
  for (const node of snapshot._nodes.filter((active) => active.type === 'atomic')) {
    for (const type of Object.keys(node.on)) for (const command of definition.events[type]?.answers ?? []) commands.add(command);
  }
  return commands;
}

/**
 * The delayed transitions (`after`) of every state the saga is in, armed as if it entered them at
 * `at`, with the ids XState gives them (the event's type), as the runtime arms them on entry.
 */
function timersOf(snapshot: AnyMachineSnapshot, definition: SagaDefinition, step: Readonly<{ at: string; version: number }>): DurableTimer[] {
  const delays = (definition.machine.implementations as { delays: Record<string, unknown> }).delays;
  const timers: DurableTimer[] = [];
  for (const node of snapshot._nodes) {
    for (const transition of node.after) {
      const named = typeof transition.delay === 'string' ? delays[transition.delay] : transition.delay;
      const delay = typeof named === 'function' ? (named as (args: unknown) => number)({ context: snapshot.context, event: { type: MACHINE_MIGRATED } }) : Number(named);
      if (!Number.isFinite(delay)) throw new XsagaError('CONFIG', `${definition.machine.id}@${definition.version}: the delay ${String(transition.delay)} of ${node.id} cannot be resolved`);
      const timerId = transition.eventType;
      timers.push({ timerId, dueAt: new Date(Date.parse(step.at) + delay).toISOString(), event: { type: timerId }, armedVersion: step.version });
    }
  }
  return timers;
}
