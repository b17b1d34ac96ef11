import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { AnyStateMachine } from 'xstate';
import { toMachineEvent } from './machineEvent.ts';
import { MACHINE_MIGRATED, type MachineMigratedData } from './sagaMigration.ts';
import type { MachineRegistry, SagaDefinition } from './sagaDefinition.ts';
import type { ArchivedStream, SagaStore, StoredEvent, StoredSnapshot, StreamHead } from './sagaStore.ts';

/** How a replay disagreed with what was stored. */
export type DivergenceKind =
  /** The stored snapshot differs from the fold of the events up to its version. */
  | 'snapshot'
  /** The stored stream is done and the replay is not, or the other way round. */
  | 'status'
  /** A stored event, which the saga accepted when it happened, is not accepted by the replay. */
  | 'rejected-event'
  /** The stream's machine version is not registered: its sagas cannot be replayed at all. */
  | 'not-registered'
  | 'error';

export type ReplayDivergence = Readonly<{
  streamId: string;
  /** `machineId@version` the stream is pinned to. */
  machine: string;
  /** The stream version at which replay and store disagree. */
  version: number;
  kind: DivergenceKind;
  /** The state as stored, and as replayed: `compensating.refundingPayment (active)`. */
  stored: string;
  replayed: string;
  detail: string;
}>;

export type ReplayReport = Readonly<{ streams: number; events: number; snapshots: number; divergences: readonly ReplayDivergence[] }>;

export type VerifyReplayOptions = Readonly<{
  store: SagaStore;
  registry: MachineRegistry;
  /** Only these streams; every stream by default. */
  streamIds?: readonly string[];
  pageSize?: number;
}>;

/** `{ compensating: 'refundingPayment' }` → `compensating.refundingPayment`. */
function dotted(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([key, child]) => (child && typeof child === 'object' && Object.keys(child).length === 0 ? key : `${key}.${dotted(child)}`))
    .join(',');
}

const describe = (snapshot: { value?: unknown; status?: unknown } | undefined): string =>
  snapshot ? `${dotted(snapshot.value)} (${String(snapshot.status)})` : '(nothing)';

/** The first place two JSON values differ, as `path: a ≠ b`; key order does not matter, as in jsonb. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (a === b) return undefined;
  const bothObjects = a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return `${path || '(root)'}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of [...keys].sort()) {
    const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

/** What replaying one stream found: how many events and snapshots it compared, and where it diverged, if it did. */
export type StreamResult = { events: number; snapshots: number; divergence?: ReplayDivergence };

/** Replays one stream through the version its head is pinned to and compares with what was stored: `verifyReplay` for one head. */
export async function verifyStream(store: Pick<SagaStore, 'load' | 'readStream'>, registry: MachineRegistry, head: StreamHead): Promise<StreamResult> {
  const definition = registry.get(head.machineId, head.machineVersion);
  if (!definition) return notRegistered(head);
  const loaded = await store.load(head.streamId);
  // The stream as `head` saw it: a saga that moved on since it was listed (a live system's) is judged at that point.
  const events = (await store.readStream(head.streamId, 1)).filter((event) => event.version <= head.version);
  // A snapshot taken by another machine version is ignored by the runtime, so it is not compared either.
  return replayAndCompare(definition, head, events, loaded?.snapshot?.machineVersion === definition.version ? loaded.snapshot : undefined, registry);
}

function notRegistered(head: StreamHead): StreamResult {
  const machine = `${head.machineId}@${head.machineVersion}`;
  return { events: 0, snapshots: 0, divergence: { streamId: head.streamId, machine, version: head.version, kind: 'not-registered', stored: head.status, replayed: '(no machine)', detail: `${machine} is not registered` } };
}

/** Folds `events` with xstate's own functions and compares with the stored snapshot (if any) and the head's status. */
/**
 * The machine each event of a stream went through: a migrated stream began on the version its first
 * migration left. Undefined for a version no longer registered: those events cannot be replayed.
 */
function machineAtStart(definition: SagaDefinition, events: readonly StoredEvent[], registry: MachineRegistry | undefined): SagaDefinition | undefined {
  const first = events.find((event) => event.message.type === MACHINE_MIGRATED)?.message.data as MachineMigratedData | undefined;
  if (!first || first.from === definition.version) return definition;
  return registry?.get(definition.machine.id, first.from);
}

/**
 * Folds `events` with xstate's own functions and compares with the stored snapshot (if any) and the
 * head's status. A migration (MachineMigrated) must find the saga in the state it says it left
 * (when the old version is still registered to tell), and the fold goes on from the state it recorded.
 */
function replayAndCompare(definition: SagaDefinition, head: StreamHead, events: readonly StoredEvent[], stored: StoredSnapshot | undefined, registry?: MachineRegistry): StreamResult {
  const base = { streamId: head.streamId, machine: `${head.machineId}@${head.machineVersion}` };
  let snapshot: AnyMachineSnapshot | undefined;
  let version = 0;
  let current = machineAtStart(definition, events, registry);
  try {
    for (const event of events) {
      version = event.version;
      if (event.message.type === MACHINE_MIGRATED) {
        const migrated = event.message.data as MachineMigratedData;
        if (snapshot && dotted(snapshot.value) !== migrated.fromState) {
          const detail = `event ${version} migrated the saga from ${migrated.fromState}, but the replay of version ${migrated.from} is in ${dotted(snapshot.value)}`;
          return { events: events.length, snapshots: 0, divergence: { ...base, version, kind: 'rejected-event', stored: `${MACHINE_MIGRATED} from ${migrated.fromState}`, replayed: describe(snapshot), detail } };
        }
        current = migrated.to === definition.version ? definition : registry?.get(head.machineId, migrated.to);
        snapshot = current ? current.machine.resolveState(migrated.state as Parameters<AnyStateMachine['resolveState']>[0]) : undefined;
      } else if (!current) {
        // Events of a version no longer registered are skipped; the migration after them restarts the fold.
        continue;
      } else if (!snapshot) {
        snapshot = initialTransition(current.machine, current.input(event.message))[0];
      } else {
        const machineEvent = toMachineEvent(event.message);
        if (!snapshot.can(machineEvent)) {
          const detail = `event ${version} (${event.message.type}) was applied when it happened, but the replayed saga does not accept it`;
          return { events: events.length, snapshots: 0, divergence: { ...base, version, kind: 'rejected-event', stored: `${event.message.type} applied`, replayed: describe(snapshot), detail } };
        }
        snapshot = transition(current.machine, snapshot, machineEvent)[0];
      }
      if (snapshot && stored && stored.version === version && current === definition) {
        const replayedState = asJson(definition.machine.getPersistedSnapshot(snapshot));
        const difference = firstDifference(asJson(stored.state), replayedState);
        if (difference) {
          const storedState = stored.state as { value?: unknown; status?: unknown };
          return { events: events.length, snapshots: 1, divergence: { ...base, version, kind: 'snapshot', stored: describe(storedState), replayed: describe(snapshot), detail: difference } };
        }
      }
    }
  } catch (error) {
    return { events: events.length, snapshots: 0, divergence: { ...base, version, kind: 'error', stored: head.status, replayed: describe(snapshot), detail: (error as Error).message } };
  }
  const replayedStatus = !snapshot ? 'empty' : snapshot.status === 'active' ? 'active' : 'done';
  if (replayedStatus !== head.status) {
    const detail = `the stream is stored as ${head.status}, the replay ends ${replayedStatus}`;
    return { events: events.length, snapshots: stored ? 1 : 0, divergence: { ...base, version: head.version, kind: 'status', stored: head.status, replayed: describe(snapshot), detail } };
  }
  return { events: events.length, snapshots: stored ? 1 : 0 };
}

/**
 * Replays stored streams through the machine version each is pinned to, and compares with what was
 * stored: the latest snapshot, the stream's status (active or done), and that every stored event
 * is still accepted. A machine changed in place under a version that old streams use shows up here.
 * It folds with xstate's own `transition()`, not the runtime's stepper, so it also checks the stepper.
 *
 * @example
 * const report = await verifyReplay({ store, registry });
 * for (const d of report.divergences) console.log(formatDivergence(d));
 */
export async function verifyReplay(options: VerifyReplayOptions): Promise<ReplayReport> {
  const { store, registry } = options;
  const pageSize = options.pageSize ?? 500;
  let streams = 0;
  let events = 0;
  let snapshots = 0;
  const divergences: ReplayDivergence[] = [];
  const check = async (head: StreamHead) => {
    const result = await verifyStream(store, registry, head);
    streams++;
    events += result.events;
    snapshots += result.snapshots;
    if (result.divergence) divergences.push(result.divergence);
  };
  if (options.streamIds) {
    for (const streamId of options.streamIds) {
      const head = (await store.load(streamId))?.head;
      if (head) await check(head);
      else divergences.push({ streamId, machine: '?', version: 0, kind: 'error', stored: '(no stream)', replayed: '(nothing)', detail: `stream ${streamId} does not exist` });
    }
    return { streams, events, snapshots, divergences };
  }
  for (let page = await store.listStreams({ limit: pageSize }); page.length > 0; page = await store.listStreams({ afterStreamId: page.at(-1)!.streamId, limit: pageSize })) {
    for (const head of page) await check(head);
  }
  return { streams, events, snapshots, divergences };
}

/**
 * `verifyReplay` for archived streams: each is replayed through its pinned machine version and
 * must end done, as it was when it was archived, accepting every event on the way.
 */
export async function verifyArchive(options: { streams: AsyncIterable<ArchivedStream>; registry: MachineRegistry }): Promise<ReplayReport> {
  let streams = 0;
  let events = 0;
  const divergences: ReplayDivergence[] = [];
  for await (const archived of options.streams) {
    const definition = options.registry.get(archived.head.machineId, archived.head.machineVersion);
    const gap = archived.events.findIndex((event, index) => event.version !== index + 1);
    const whole = gap === -1 && archived.events.length === archived.head.version;
    const result: StreamResult = !whole
      ? { events: archived.events.length, snapshots: 0, divergence: { streamId: archived.head.streamId, machine: `${archived.head.machineId}@${archived.head.machineVersion}`, version: gap === -1 ? archived.head.version : gap + 1, kind: 'error', stored: `version ${archived.head.version}`, replayed: '(not replayed)', detail: `the archive holds ${archived.events.length} events, not versions 1 to ${archived.head.version}` } }
      : definition
        ? replayAndCompare(definition, archived.head, archived.events, undefined, options.registry)
        : notRegistered(archived.head);
    streams++;
    events += result.events;
    if (result.divergence) divergences.push(result.divergence);
  }
  return { streams, events, snapshots: 0, divergences };
}

export function formatDivergence(d: ReplayDivergence): string {
  return `DIVERGED ${d.streamId} (${d.machine}) at version ${d.version}, ${d.kind}: stored ${d.stored}, replayed ${d.replayed}; ${d.detail}`;
}

export function formatReplayReport(report: ReplayReport): string {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const summary = `verified ${count(report.streams, 'stream')} (${count(report.events, 'event')}, ${count(report.snapshots, 'snapshot')} compared): `;
  if (report.divergences.length === 0) return `${summary}no divergence`;
  return [`${summary}${report.divergences.length} diverged`, ...report.divergences.map(formatDivergence)].join('\n');
}
