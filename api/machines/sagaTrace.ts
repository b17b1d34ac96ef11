import type { AnyMachineSnapshot } from 'xstate';
import { collectEffects, noEffects } from '../../runtime/effects.ts';
import { foldStream } from '../../runtime/foldStream.ts';
import type { SagaDefinition } from '../../runtime/sagaDefinition.ts';
import type { StoredEvent, StreamHead } from '../../runtime/sagaStore.ts';
import { activeStateIds } from '../../runtime/machineGraph.ts';
import type { GraphTransition, MachineGraph } from './machineGraph.ts';

/** One stored event and what it did to the saga: the state it moved, the commands and timers it caused. */
export type TraceStep = Readonly<{
  version: number;
  /** The stored message type (`PaymentCaptured`, `TimerFired`, …). */
  type: string;
  /** What the machine received: for a fired timer, the delayed event. */
  event: string;
  occurredAt: string;
  messageId: string;
  causationId: string;
  data: unknown;
  from: string | null;
  to: string;
  /** The transition taken; null for the start of the stream. */
  transition: string | null;
  commands: readonly Readonly<{ type: string; topic: string; messageId: string; data: unknown }>[];
  timersArmed: readonly Readonly<{ timerId: string; dueAt: string; event: string }>[];
  timersCancelled: readonly string[];
}>;

/** A saga's path through its statechart, folded from its stream: the dashboard highlights it. */
export type SagaTrace = Readonly<{
  streamId: string;
  machineId: string;
  machineVersion: number;
  version: number;
  state: string;
  status: string;
  /** Every state node the saga has been in, ancestors included. */
  visitedStates: readonly string[];
  /** Every transition it took, each once. */
  takenTransitions: readonly string[];
  /** States it entered through their parent's initial arrow, rather than as a transition's target. */
  initialEntries: readonly string[];
  steps: readonly TraceStep[];
}>;

const dotted = (snapshot: AnyMachineSnapshot, ids: readonly string[], machineId: string): string =>
  ids
    .filter((id) => id !== machineId && !ids.some((other) => other.startsWith(`${id}.`)))
    .map((id) => id.slice(machineId.length + 1))
    .join(',') || String(snapshot.value);

/**
 * Which transition moved the saga from `before` to `after` on `event`: the candidates XState
 * considers (innermost state first) whose target is now active, or that kept the state.
 */
function takenTransition(transitions: readonly GraphTransition[], before: readonly string[], after: readonly string[], event: string): string | null {
  const active = new Set(after);
  const candidates = transitions
    .filter((t) => t.event === event && before.includes(t.source))
    .sort((a, b) => b.source.split('.').length - a.source.split('.').length);
  const hit = candidates.find((t) => (t.targets.length === 0 ? before.join() === after.join() : t.targets.every((target) => active.has(target))));
  return hit?.id ?? null;
}

/**
 * Folds a saga's stream with the runtime's fold, which executes nothing; commands and timers are
 * read from the actions of each step, with the ids the runtime gave them in the outbox.
 */
export function traceSaga(definition: SagaDefinition, graph: MachineGraph, head: StreamHead, events: readonly StoredEvent[]): SagaTrace {
  const { machine } = definition;
  const visited = new Set<string>();
  const taken = new Set<string>();
  const initialEntries = new Set<string>();
  const byId = new Map(graph.transitions.map((t) => [t.id, t]));
  const steps: TraceStep[] = [];
  let active: string[] = [];
  const last = foldStream(definition, events, {
    onEvent: ({ version, message, event, before, after, actions }) => {
      const activeBefore = active;
      const effects = collectEffects(actions, { streamId: head.streamId, version, cause: message, topicOf: definition.topicOf }, noEffects());
      active = activeStateIds(machine, after.value);
      const moved = before ? takenTransition(graph.transitions, activeBefore, active, event.type) : null;
      for (const id of active) visited.add(id);
      if (moved) taken.add(moved);
      // Entered now, but neither a target nor on the way to one: its parent's initial arrow led there.
      const targets = byId.get(moved ?? '')?.targets ?? [];
      for (const id of active) {
        const entered = !before || !activeBefore.includes(id);
        const viaTarget = targets.some((target) => target === id || target.startsWith(`${id}.`));
        if (id !== machine.root.id && entered && !viaTarget) initialEntries.add(id);
      }
      steps.push({
        version,
        type: message.type,
        event: before ? event.type : message.type,
        occurredAt: message.metadata.occurredAt,
        messageId: message.metadata.messageId,
        causationId: message.metadata.causationId,
        data: message.data,
        from: before ? dotted(before, activeBefore, machine.id) : null,
        to: dotted(after, active, machine.id),
        transition: moved,
        commands: effects.outbox.map((envelope) => ({ type: envelope.message.type, topic: envelope.topic, messageId: envelope.message.metadata.messageId, data: envelope.message.data })),
        timersArmed: [...effects.timersArmed.values()].map((timer) => ({ timerId: timer.timerId, dueAt: timer.dueAt, event: (timer.event as { type: string }).type })),
        timersCancelled: [...effects.timersCancelled],
      });
    },
  });
  return {
    streamId: head.streamId,
    machineId: head.machineId,
    machineVersion: head.machineVersion,
    version: head.version,
    state: steps.at(-1)?.to ?? '',
    status: last?.status ?? 'active',
    visitedStates: [...visited],
    takenTransitions: [...taken],
    initialEntries: [...initialEntries],
    steps,
  };
}
