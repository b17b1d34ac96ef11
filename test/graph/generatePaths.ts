import { getSimplePaths } from '@xstate/graph';
import { __unsafe_getAllOwnEventDescriptors, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import type { SagaPathModel } from './sagaPathModel.ts';

/** One generated path: the events from the start to a final state, and the generator's snapshot after each. */
export type SagaPath = Readonly<{ name: string; events: readonly EventObject[]; snapshots: readonly AnyMachineSnapshot[] }>;

/** `PaymentFailed (transient)`, `ShipmentFailed (UNDELIVERABLE)`, `after paymentTimeout`. */
export function describeEvent(event: EventObject): string {
  const data = (event as { data?: { retryable?: unknown; reason?: unknown } }).data;
  const detail = data?.retryable === true ? ' (transient)' : typeof data?.reason === 'string' ? ` (${data.reason})` : '';
  // A timer event names its delay and the state that armed it; the delay is what people recognise.
  const name = event.type.startsWith('xstate.after.') ? `after ${event.type.split('.')[2]}` : event.type;
  return `${name}${detail}`;
}

/** The events the generator tries in `snapshot`: every payload of every event type the state accepts. */
export function eventsFor(model: SagaPathModel, snapshot: AnyMachineSnapshot): EventObject[] {
  return __unsafe_getAllOwnEventDescriptors(snapshot).flatMap((type) => {
    const payloads = model.events[type];
    if (!payloads || payloads.length === 0) {
      throw new Error(
        `${model.machineId}@${model.version}: state ${JSON.stringify(snapshot.value)} accepts ${type}, but the path model has no payload for it; add it to the model's events`,
      );
    }
    return payloads;
  });
}

/**
 * Every simple path (no state visited twice, as the model tells states apart) from the start to a
 * final state, by @xstate/graph. Timer events are generated like any other: the machine's `after`
 * transitions appear among the events a state accepts.
 */
export function generatePaths(machine: AnyStateMachine, model: SagaPathModel): SagaPath[] {
  const paths = getSimplePaths(machine, {
    input: model.input('generated') as never,
    events: (snapshot: AnyMachineSnapshot) => eventsFor(model, snapshot) as never,
    serializeState: (snapshot: AnyMachineSnapshot) => model.serializeState(snapshot) as never,
    toState: (snapshot: AnyMachineSnapshot) => snapshot.status === 'done',
  });
  // Each path's first step is the start (`xstate.init`); the events are the rest.
  return paths.map((path) => {
    const steps = path.steps.slice(1);
    const events = steps.map((step) => step.event as EventObject);
    return { name: events.map(describeEvent).join(' → '), events, snapshots: steps.map((step) => step.state as AnyMachineSnapshot) };
  });
}
