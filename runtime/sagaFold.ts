import type { Span } from '@opentelemetry/api';
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { acceptanceOf } from './acceptance.ts';
import { awaitedAfter, noAwaitedCommands, type AwaitedCommands } from './awaitedCommands.ts';
import type { DeadLetterReason } from './deadLetter.ts';
import { collectEffects, copyEffects, noEffects, type Effects } from './effects.ts';
import { XsagaError } from './errors.ts';
import { foldStream } from './foldStream.ts';
import { machineFingerprint } from './machineFingerprint.ts';
import { stepperFor } from './machineStepper.ts';
import type { Envelope, Message } from './message.ts';
import type { SagaDefinition } from './sagaDefinition.ts';
import type { LoadedStream, StreamChange } from './sagaStore.ts';
import type { TraceContext } from './traceContext.ts';
import { endSpans } from './messageSpan.ts';
import { startTransitionSpan } from './transitionSpan.ts';
import { startedTimes, timesAfterMove, unknownTimes, type SagaTimes, type StateLeft } from './sagaTimes.ts';
import { SAGA_VIEW_UPDATED } from './viewStore.ts';

/** A hydrated saga: the machine snapshot at a stream version, and the commands it awaits. */
export type LiveSaga = Readonly<{
  streamId: string;
  definition: SagaDefinition;
  snapshot: AnyMachineSnapshot;
  version: number;
  eventsSinceSnapshot: number;
  awaiting: AwaitedCommands;
  /** When it began and entered its state: for its duration and the dwell time of each state (metrics). */
  times: SagaTimes;
}>;

/** `machineId@version`: how dead letters and logs name the machine a saga runs on. */
export const machineOf = (definition: SagaDefinition): string => `${definition.machine.id}@${definition.version}`;

/**
 * Folds a stored stream through its machine; replay executes nothing. The awaited commands come
 * from the snapshot when it has them (the runtime reloads the whole stream when it has not).
 */
export function replayStream(definition: SagaDefinition, loaded: LoadedStream): LiveSaga {
  const { machine } = definition;
  const streamId = loaded.head.streamId;
  let restored: AnyMachineSnapshot | undefined;
  let awaiting: AwaitedCommands = noAwaitedCommands;
  let times = unknownTimes;
  if (loaded.snapshot && loaded.snapshot.machineVersion === definition.version) {
    restored = machine.resolveState(loaded.snapshot.state as Parameters<AnyStateMachine['resolveState']>[0]);
    awaiting = new Map(loaded.snapshot.awaiting ?? []);
    times = loaded.snapshot.times ?? unknownTimes;
  } else if (loaded.snapshot) {
    throw new XsagaError('MACHINE_NOT_REGISTERED', `Snapshot of ${streamId} is of machine version ${loaded.snapshot.machineVersion}`);
  }
  const snapshot = foldStream(definition, loaded.events, {
    from: restored,
    onEvent: ({ version, message, before, after, actions, migrated }) => {
      const at = message.metadata.occurredAt;
      if (migrated) {
        awaiting = new Map(migrated.awaiting);
        times = { startedAt: migrated.startedAt, enteredAt: at };
        return;
      }
      times = before ? timesAfterMove(times, before.value, after.value, at).times : startedTimes(at);
      awaiting = awaitedAfter(awaiting, message, definition.events, { actions, streamId, version });
    },
  });
  if (!snapshot) throw new XsagaError('NOT_FOUND', `Stream ${streamId} has no events`);
  return { streamId, definition, snapshot, version: loaded.head.version, eventsSinceSnapshot: loaded.events.length, awaiting, times };
}

/** A message one saga cannot take, and why. */
export type Refused = Readonly<{ message: Message; reason: DeadLetterReason; error: unknown }>;

/** What the messages of a batch did to one saga. */
export type FoldedMessages = Readonly<{
  live: LiveSaga;
  /** The messages that moved it, in order: the events to append. */
  events: Message[];
  /** Every message it took, moved or not (a late reply the state no longer accepts). */
  applied: string[];
  effects: Effects;
  refused: Refused[];
  /** The open spans of the transitions taken, for the caller to end once it committed them (or failed to). */
  spans: Span[];
  /** The states the saga left, in order, with the time it spent in each. */
  left: StateLeft[];
}>;

/**
 * Applies a saga's messages of one batch, in order, to its live state. A message that is no fact
 * of the saga, or that makes a guard, an action, a command's routing or the view throw, is refused
 * and leaves the saga as it was; the messages after it are applied as if it had not come.
 */
export function foldMessages(before: LiveSaga, messages: readonly Message[]): FoldedMessages {
  const { definition, streamId } = before;
  const stepper = stepperFor(definition.machine);
  let live = before;
  let effects = noEffects();
  let lastView: Envelope | undefined;
  const events: Message[] = [];
  const applied: string[] = [];
  const refused: Refused[] = [];
  const spans: Span[] = [];
  const left: StateLeft[] = [];
  for (const message of messages) {
    const verdict = acceptanceOf(live, message);
    if (!verdict.accepted) {
      refused.push({ message, reason: verdict.reason, error: verdict.error });
      continue;
    }
    let span: Span | undefined;
    try {
      // A late reply the current state does not accept is not a fact of this saga (`can` runs the guards).
      if (!live.snapshot.can(verdict.event)) {
        applied.push(message.metadata.messageId);
        continue;
      }
      const [snapshot, actions] = stepper.next(live.snapshot, verdict.event);
      const version = live.version + 1;
      const transition = startTransitionSpan(definition, { streamId, message, before: live.snapshot, after: snapshot, version });
      span = transition.span;
      const stepped = collectEffects(actions, { streamId, version, cause: message, topicOf: definition.topicOf, trace: transition.trace }, copyEffects(effects));
      const moved = timesAfterMove(live.times, live.snapshot.value, snapshot.value, message.metadata.occurredAt);
      const next: LiveSaga = {
        ...live,
        snapshot,
        version,
        eventsSinceSnapshot: live.eventsSinceSnapshot + 1,
        awaiting: awaitedAfter(live.awaiting, message, definition.events, { actions, streamId, version }),
        times: moved.times,
      };
      lastView = viewFactOf(next, message, transition.trace);
      live = next;
      effects = stepped;
      if (moved.left) left.push(moved.left);
      events.push(message);
      applied.push(message.metadata.messageId);
      spans.push(transition.span);
    } catch (error) {
      if (span) endSpans([span], error);
      refused.push({ message, reason: 'HANDLER_FAILED', error });
    }
  }
  if (lastView) effects.outbox.push(lastView);
  return { live, events, applied, effects, refused, spans, left };
}

/** The fact that carries the saga's read-model view after `cause`, to its facts topic, in the trace of the transition that made it. */
export function viewFactOf(live: LiveSaga, cause: Message, trace: TraceContext = {}): Envelope {
  const { definition } = live;
  const updatedAt = cause.metadata.occurredAt;
  const view = definition.view({ streamId: live.streamId, version: live.version, snapshot: live.snapshot, updatedAt });
  return {
    topic: definition.factsTopic,
    key: live.streamId,
    message: {
      type: SAGA_VIEW_UPDATED,
      data: { streamId: live.streamId, machineId: definition.machine.id, version: live.version, view },
      metadata: { messageId: `${live.streamId}/${live.version}/view`, correlationId: live.streamId, causationId: cause.metadata.messageId, occurredAt: updatedAt, ...trace },
    },
  };
}

/** What one saga's part of a batch writes; a snapshot once `snapshotEvery` events have passed since the last. */
export function toChange(
  before: LiveSaga | undefined,
  after: LiveSaga,
  folded: Readonly<{ events: readonly Message[]; effects: Effects; applied: readonly string[] }>,
  snapshotEvery: number,
): StreamChange {
  const takeSnapshot = folded.events.length > 0 && after.eventsSinceSnapshot >= snapshotEvery;
  return {
    streamId: after.streamId,
    machineId: after.definition.machine.id,
    machineVersion: after.definition.version,
    expectedVersion: before?.version ?? 0,
    // Stored with the first event: the deploy gate compares it with the machine registered under the same version.
    ...(before ? {} : { machineFingerprint: machineFingerprint(after.definition.machine) }),
    events: folded.events,
    status: after.snapshot.status === 'active' ? 'active' : 'done',
    snapshot: takeSnapshot
      ? {
          version: after.version,
          machineVersion: after.definition.version,
          state: after.definition.machine.getPersistedSnapshot(after.snapshot),
          awaiting: [...after.awaiting],
          times: after.times,
        }
      : undefined,
    outbox: folded.effects.outbox,
    timersArmed: [...folded.effects.timersArmed.values()],
    timersCancelled: [...folded.effects.timersCancelled],
    appliedMessageIds: folded.applied,
  };
}
