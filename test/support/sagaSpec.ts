import { expect } from 'vitest';
import {
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type ContextFrom,
  type EmittedFrom,
  type EventFromLogic,
  type EventObject,
  type InputFrom,
  type SnapshotFrom,
  type StateValue,
} from 'xstate';

/** A partial object whose nested objects are partial too; arrays are given whole. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

type ActionLike = Readonly<{ type: string; params?: unknown }>;

/** A delayed event as the runtime delivers it when its timer fires (`xstate.after.<delay>.<stateId>`). */
export type TimerEvent = Readonly<{ type: `xstate.after.${string}` }>;

/** A timer that a transition armed: a `raise` with a `delay`. */
export type ArmedTimer = Readonly<{ id: string | undefined; delay: number; event: EventObject }>;

/** What one `when` produced: the snapshot after its last event and the effects of all its events, in order. */
export type Outcome<M extends AnyStateMachine> = Readonly<{
  snapshot: SnapshotFrom<M>;
  emitted: EmittedFrom<M>[];
  armed: ArmedTimer[];
  cancelled: string[];
}>;

/**
 * What `then` checks; every field left out is not checked. `state` is a dotted path
 * ('compensating.refundingPayment') or a state value and must match exactly; `context` is
 * matched partially, nested objects too (arrays by length and element); `emitted`, `armed`
 * and `cancelled` exactly, in order; `rejects` lists events the snapshot must not accept.
 */
export type Expectation<M extends AnyStateMachine> = Readonly<{
  state?: string | StateValue;
  status?: AnyMachineSnapshot['status'];
  context?: DeepPartial<ContextFrom<M>>;
  emitted?: readonly EmittedFrom<M>[];
  armed?: readonly ArmedTimer[];
  cancelled?: readonly string[];
  rejects?: readonly (EventFromLogic<M> | TimerEvent)[];
}>;

/** A saga at rest: feed it events with `when`. */
export type Given<M extends AnyStateMachine> = Readonly<{
  snapshot: SnapshotFrom<M>;
  when: (...events: (EventFromLogic<M> | TimerEvent)[]) => Then<M>;
}>;

/** The result of a `when`: check it with `then`, which hands back the saga to continue the story. */
export type Then<M extends AnyStateMachine> = Readonly<{
  outcome: Outcome<M>;
  then: (expectation: Expectation<M> | ((outcome: Outcome<M>) => void)) => Given<M>;
}>;


/** Turns a dotted path into a state value: 'a.b.c' → { a: { b: 'c' } }. */
export function toStateValue(path: string): StateValue {
  const parts = path.split('.');
  return parts.reduceRight<StateValue>((inner, key) => ({ [key]: inner }), parts.pop() as string);
}

function outcomeOf<M extends AnyStateMachine>(snapshot: SnapshotFrom<M>, actions: readonly ActionLike[]): Outcome<M> {
  const outcome: Outcome<M> = { snapshot, emitted: [], armed: [], cancelled: [] };
  for (const action of actions) {
    if (action.type === 'xstate.emit') outcome.emitted.push((action.params as { event: EmittedFrom<M> }).event);
    if (action.type === 'xstate.raise') {
      const { event, id, delay } = action.params as { event: EventObject; id?: string; delay?: number };
      if (delay !== undefined) outcome.armed.push({ id, delay, event });
    }
    if (action.type === 'xstate.cancel') outcome.cancelled.push((action.params as { sendId: string }).sendId);
  }
  return outcome;
}

function check<M extends AnyStateMachine>(outcome: Outcome<M>, expectation: Expectation<M>): void {
  const snapshot = outcome.snapshot as AnyMachineSnapshot;
  const { state, status, context, emitted, armed, cancelled, rejects } = expectation;
  if (state !== undefined) expect(snapshot.value, 'state').toEqual(typeof state === 'string' ? toStateValue(state) : state);
  if (status !== undefined) expect(snapshot.status, 'status').toBe(status);
  if (context !== undefined) expect(snapshot.context, 'context').toMatchObject(context);
  if (emitted !== undefined) expect(outcome.emitted, 'emitted commands').toEqual(emitted);
  if (armed !== undefined) expect(outcome.armed, 'armed timers').toEqual(armed);
  if (cancelled !== undefined) expect(outcome.cancelled, 'cancelled timers').toEqual(cancelled);
  for (const event of rejects ?? []) expect(snapshot.can(event as EventObject), `accepts ${(event as EventObject).type}`).toBe(false);
}

function at<M extends AnyStateMachine>(machine: M, snapshot: SnapshotFrom<M>): Given<M> {
  return {
    snapshot,
    when: (...events) => {
      let current = snapshot;
      const actions: ActionLike[] = [];
      for (const event of events) {
        const [next, done] = transition(machine, current, event as EventFromLogic<M>);
        current = next;
        actions.push(...done);
      }
      return thenOf(machine, outcomeOf(current, actions));
    },
  };
}

function thenOf<M extends AnyStateMachine>(machine: M, outcome: Outcome<M>): Then<M> {
  return {
    outcome,
    then: (expectation) => {
      if (typeof expectation === 'function') expectation(outcome);
      else check(outcome, expectation);
      return at(machine, outcome.snapshot);
    },
  };
}

/**
 * Starts a specification: the machine started with `input`, then `history` folded through
 * `transition` with its effects discarded, as a replay does.
 *
 * @example
 * given(orderSaga, input, [captured]).when(reserved).then({ state: 'shipping', emitted: [createShipment(1)] });
 * given(orderSaga, input).whenStarted().then({ armed: [{ id, delay: 30_000, event: { type: id } }] });
 */
export function given<M extends AnyStateMachine>(
  machine: M,
  input: InputFrom<M>,
  history: readonly (EventFromLogic<M> | TimerEvent)[] = [],
): Given<M> & Readonly<{ whenStarted: () => Then<M> }> {
  const [initial, startActions] = (initialTransition as (m: M, i: unknown) => [SnapshotFrom<M>, ActionLike[]])(machine, input);
  const replayed = history.reduce<SnapshotFrom<M>>(
    (snapshot, event) => transition(machine, snapshot, event as EventFromLogic<M>)[0],
    initial,
  );
  return {
    ...at(machine, replayed),
    whenStarted: () => {
      if (history.length > 0) throw new Error('whenStarted() checks the initial transition: give no history');
      return thenOf(machine, outcomeOf(initial, startActions));
    },
  };
}
