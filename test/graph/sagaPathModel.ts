import type { AnyEventObject, AnyMachineSnapshot, EventObject } from 'xstate';

/** What the machine must have done after one step, as an independent reference states it. */
export type ExpectedStep = Readonly<{
  /** Dotted state: `compensating.refundingPayment`. */
  state: string;
  status: 'active' | 'done';
  /** Commands emitted by this step, exactly and in order. */
  emitted: readonly EventObject[];
  /** The timers this step armed (id and delay), and the ids of those it cancelled. */
  armed: readonly Readonly<{ id: string; delay: number }>[];
  cancelled: readonly string[];
  /** The context under the keys the reference names (the rest, such as the input, is the generator's to compare). */
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
  /**
   * Streams whose inputs take the machine down different ways from its start (a threshold in the
   * input decides where it begins): paths are generated from each. Absent: one, `generated`.
   */
  variants?: readonly string[];
  /** Payloads of each event type the machine accepts, timer events included: paths branch on each. */
  events: Readonly<Record<string, readonly AnyEventObject[]>>;
  /**
   * What tells two snapshots apart for the generator. Two snapshots with one key must be alike in
   * everything a later step depends on, and the keys the tried events reach must be finitely many.
   */
  serializeState(snapshot: AnyMachineSnapshot): string;
  /**
   * Whether the generator tries `event` (one of the payloads) in `snapshot`; all of them when absent.
   * A bound on the paths, not on what they cover: the path suites fail on a state or transition
   * that no path takes, so what one state leaves out must be taken from another.
   */
  tries?(snapshot: AnyMachineSnapshot, event: AnyEventObject): boolean;
  /** Whether a final snapshot is a success, whose completed steps stand, rather than a failure, whose steps were undone. */
  succeeded(snapshot: AnyMachineSnapshot): boolean;
  reference(input: unknown): SagaReference;
}>;

/**
 * `{ compensating: 'refundingPayment' }` → `compensating.refundingPayment`; the regions of a parallel
 * state side by side: `{ processing: { refund: 'refunded', restock: 'restocking' } }` →
 * `processing(refund.refunded, restock.restocking)`.
 */
export function dottedState(value: unknown): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 1) return `(${entries.map(([key, child]) => `${key}.${dottedState(child)}`).join(', ')})`;
  const [key, child] = entries[0]!;
  const inner = dottedState(child);
  return inner.startsWith('(') ? `${key}${inner}` : `${key}.${inner}`;
}
