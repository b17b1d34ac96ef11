import { getAdjacencyMap } from '@xstate/graph';
import { __unsafe_getAllOwnEventDescriptors, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { transitionsOf } from '../../runtime/machineGraph.ts';
import type { SagaPathModel } from './sagaPathModel.ts';

/** One generated path: the events from the start to a final state, and the generator's snapshot after each. */
export type SagaPath = Readonly<{ name: string; events: readonly EventObject[]; snapshots: readonly AnyMachineSnapshot[] }>;

/**
 * `PaymentFailed (transient)`, `ShipmentFailed (UNDELIVERABLE)`, `after paymentTimeout`: what fires
 * the transition, as the machine graph names it (`triggers`, by event type), and what its data says.
 */
export function describeEvent(event: EventObject, triggers: ReadonlyMap<string, string>): string {
  const data = (event as { data?: { retryable?: unknown; reason?: unknown } }).data;
  // A failure says whether it was transient or why it was final; an operator's reason is no part of the name.
  const detail = data?.retryable === true ? ' (transient)' : data?.retryable === false ? ` (${String(data.reason)})` : '';
  return `${triggers.get(event.type) ?? event.type}${detail}`;
}

/** The events the generator tries in `snapshot`: every payload of every event type the state accepts, as far as the model tries it there. */
export function eventsFor(model: SagaPathModel, snapshot: AnyMachineSnapshot): EventObject[] {
  const accepted = __unsafe_getAllOwnEventDescriptors(snapshot).flatMap((type) => {
    const payloads = model.events[type];
    if (!payloads || payloads.length === 0) {
      throw new Error(
        `${model.machineId}@${model.version}: state ${JSON.stringify(snapshot.value)} accepts ${type}, but the path model has no payload for it; add it to the model's events`,
      );
    }
    return payloads;
  });
  return model.tries ? accepted.filter((event) => model.tries!(snapshot, event)) : accepted;
}

/** @xstate/graph's map of the states (by key) and, from each, the transitions by event. */
type Adjacency = Record<string, { state: AnyMachineSnapshot; transitions: Record<string, { event: EventObject; state: AnyMachineSnapshot }> }>;

/**
 * Every simple path (no state visited twice, as the model tells states apart) from the start to a
 * final state. @xstate/graph maps the states and the transitions between them; one depth-first walk
 * then follows them to the final states (`getSimplePaths` walks once per state, final or not, which
 * is quadratic in a graph of a few thousand states). Timer events are generated like any other: the
 * machine's `after` transitions appear among the events a state accepts.
 */
export function generatePaths(machine: AnyStateMachine, model: SagaPathModel): SagaPath[] {
  const adjacency = getAdjacencyMap(machine, {
    input: model.input('generated') as never,
    events: (snapshot: AnyMachineSnapshot) => eventsFor(model, snapshot) as never,
    serializeState: (snapshot: AnyMachineSnapshot) => model.serializeState(snapshot) as never,
  }) as unknown as Adjacency;
  // A timer event names its delay and the state that armed it; the delay is what people recognise.
  const triggers = new Map(transitionsOf(machine).map((transition) => [transition.eventType, transition.trigger]));
  // The traversal starts from the initial snapshot, so it is the first state it mapped.
  const [startKey] = Object.keys(adjacency);
  const paths: SagaPath[] = [];
  const onPath = new Set<string>();
  const steps: { event: EventObject; snapshot: AnyMachineSnapshot }[] = [];
  const walk = (key: string) => {
    const { state, transitions } = adjacency[key]!;
    if (state.status === 'done') {
      const events = steps.map((step) => step.event);
      paths.push({ name: events.map((event) => describeEvent(event, triggers)).join(' → '), events, snapshots: steps.map((step) => step.snapshot) });
      return;
    }
    onPath.add(key);
    for (const { event, state: next } of Object.values(transitions)) {
      const nextKey = model.serializeState(next);
      if (onPath.has(nextKey)) continue;
      steps.push({ event, snapshot: next });
      walk(nextKey);
      steps.pop();
    }
    onPath.delete(key);
  };
  if (startKey !== undefined) walk(startKey);
  return paths;
}
