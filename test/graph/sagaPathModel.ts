import type { AnyEventObject, AnyMachineSnapshot, EventObject } from 'xstate';

/** What the machine must have done after one step, as an independent reference states it. */
export type ExpectedStep = Readonly<{
  /** Dotted state: `compensating.refundingPayment`. */
  state: string;
  status: 'active' | 'done';
  /** Commands emitted by this step, exactly and in order. */
  emitted: readonly EventObject[];
  /** Ids of the timers this step armed and cancelled. */
  armed: readonly string[];
  cancelled: readonly string[];
  /** Matched partially against the machine's context. */
  context: Readonly<Record<string, unknown>>;
}>;

/** A saga restated step by step without the statechart, so that generated paths have something to be checked against. */
export type SagaReference = Readonly<{ start(): ExpectedStep; step(event: EventObject): ExpectedStep }>;

/**
 * How to generate and check the paths of one registered machine version. Every registered machine
 * needs one: the path suites fail for a machine without a model, and for an event type it accepts
 * that the model gives no payload for.
 */
export type SagaPathModel = Readonly<{
  machineId: string;
  version: number;
  /** The saga's input for a stream. */
  input(streamId: string): unknown;
  /** Payloads of each event type the machine accepts, timer events included: paths branch on each. */
  events: Readonly<Record<string, readonly AnyEventObject[]>>;
  /** What tells two snapshots apart for the generator; it must take finitely many values. */
  serializeState(snapshot: AnyMachineSnapshot): string;
  /** Whether a final snapshot is a success, whose completed steps stand, rather than a failure, whose steps were undone. */
  succeeded(snapshot: AnyMachineSnapshot): boolean;
  reference(input: unknown): SagaReference;
}>;

/** `{ compensating: 'refundingPayment' }` → `compensating.refundingPayment`. */
export function dottedState(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${key}.${dottedState(child)}`;
}
