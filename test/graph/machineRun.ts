import { expect } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import type { MachineStepper } from '../../runtime/machineStepper.ts';
import { compensationOf, replyMeanings, settlements, type ParticipantContract } from '../../runtime/safety/participantContract.ts';
import type { SagaPath } from './generatePaths.ts';
import { dottedState, type SagaPathModel } from './sagaPathModel.ts';

type ActionLike = Readonly<{ type: string; params?: unknown }>;

/** A timer a step armed: its id and delay. */
export type ArmedTimer = Readonly<{ id: string; delay: number }>;

/** A path folded through the pure machine, as the runtime folds it: index 0 is the start, index i the i-th event. */
export type MachineRun = Readonly<{
  input: unknown;
  events: readonly EventObject[];
  snapshots: readonly AnyMachineSnapshot[];
  emitted: readonly (readonly EventObject[])[];
  armed: readonly (readonly ArmedTimer[])[];
  cancelled: readonly (readonly string[])[];
}>;

/** xstate's pure functions, the reference every other way of stepping a machine is held to. */
const xstateSteps = (machine: AnyStateMachine): MachineStepper => ({
  initial: (input) => initialTransition(machine, input as never) as ReturnType<MachineStepper['initial']>,
  next: (snapshot, event) => transition(machine, snapshot, event as never) as ReturnType<MachineStepper['next']>,
});

/** Folds `events` from the start with `input` (by xstate's `transition()` unless told), collecting what each step emitted, armed and cancelled. */
export function runOnMachine(machine: AnyStateMachine, input: unknown, events: readonly EventObject[], steps: MachineStepper = xstateSteps(machine)): MachineRun {
  const snapshots: AnyMachineSnapshot[] = [];
  const emitted: EventObject[][] = [];
  const armed: ArmedTimer[][] = [];
  const cancelled: string[][] = [];
  const record = (snapshot: AnyMachineSnapshot, actions: readonly ActionLike[]) => {
    snapshots.push(snapshot);
    emitted.push(actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: EventObject }).event));
    armed.push(
      actions
        .filter((a) => a.type === 'xstate.raise' && (a.params as { delay?: number }).delay !== undefined)
        .map((a) => ({ id: (a.params as { id: string }).id, delay: (a.params as { delay: number }).delay })),
    );
    cancelled.push(actions.filter((a) => a.type === 'xstate.cancel').map((a) => (a.params as { sendId: string }).sendId));
  };
  let [snapshot, actions] = steps.initial(input) as [AnyMachineSnapshot, ActionLike[]];
  record(snapshot, actions);
  for (const event of events) {
    [snapshot, actions] = steps.next(snapshot, event) as [AnyMachineSnapshot, ActionLike[]];
    record(snapshot, actions);
  }
  return { input, events, snapshots, emitted, armed, cancelled };
}

/** The run's last snapshot. */
export const finalOf = (run: MachineRun): AnyMachineSnapshot => run.snapshots.at(-1)!;

/** Each step of `run` is what the model's reference says: state, status, commands, timers and context (one assertion a step, the diff naming the field). */
export function expectRunMatchesReference(run: MachineRun, model: SagaPathModel): void {
  const reference = model.reference(run.input);
  run.snapshots.forEach((snapshot, i) => {
    const step = i === 0 ? 'the start' : `step ${i} (${run.events[i - 1]!.type})`;
    const expected = i === 0 ? reference.start() : reference.step(run.events[i - 1]!);
    // The reference states part of the context: the rest (the order, the settings) is compared with the generator's.
    const context = Object.fromEntries(Object.keys(expected.context).map((key) => [key, (snapshot.context as Record<string, unknown>)[key]]));
    expect(
      { state: dottedState(snapshot.value), status: snapshot.status, emitted: run.emitted[i], armed: run.armed[i], cancelled: run.cancelled[i], context },
      `after ${step}`,
    ).toEqual(expected);
  });
}

/** The run on the pure machine reaches the same snapshots as the generator did, step by step. */
export function expectRunFollowsPath(run: MachineRun, path: SagaPath): void {
  const seen = (snapshot: AnyMachineSnapshot) => ({ value: snapshot.value, context: snapshot.context, status: snapshot.status });
  expect(run.snapshots.slice(1).map(seen), 'snapshots after each step').toEqual(path.snapshots.map(seen));
}

/**
 * Compensations, as the participants declare them, in exact reverse order of the steps that may have
 * taken effect: those that succeeded, those sent but never answered (a deadline fired, an operator
 * cancelled), whose effect is unknown, and those the saga was still trying (it backed off after a
 * failure, arming a timer to try again) when a deadline or a cancel stopped it. A step the saga gave
 * up on at a failure needs no undoing, nor one an event settled (a label, once its parcel came). A
 * successful saga undoes nothing.
 */
export function expectCompensationsInReverse(run: MachineRun, model: SagaPathModel, participants: readonly ParticipantContract[]): void {
  const meanings = replyMeanings(participants);
  const settled = settlements(participants);
  const isCompensation = (command: string) => participants.some((p) => p.handles[command]?.undoes !== undefined);
  const forward = new Map<string, 'sent' | 'done' | 'pending' | 'refused'>();
  const compensationsSent: string[] = [];
  const undone: string[] = [];
  run.emitted.forEach((commands, i) => {
    const reply = i === 0 ? undefined : run.events[i - 1]!;
    const meaning = reply && meanings.get(reply.type)?.[0];
    if (meaning && meaning.undoes !== undefined && meaning.done) undone.push(meaning.undoes);
    if (meaning && meaning.undoes === undefined) forward.set(meaning.command, meaning.done ? 'done' : run.armed[i]!.length > 0 ? 'pending' : 'refused');
    for (const command of (reply && settled.get(reply.type)) ?? []) forward.delete(command);
    for (const { type } of commands) {
      if (isCompensation(type)) {
        if (!compensationsSent.includes(type)) compensationsSent.push(type);
      } else {
        forward.set(type, 'sent');
      }
    }
  });
  const final = finalOf(run);
  expect(final.status, 'the path ends in a final state').toBe('done');
  if (model.succeeded(final)) {
    expect(compensationsSent, 'a successful saga compensates nothing').toEqual([]);
    return;
  }
  const toUndo = [...forward].filter(([command, outcome]) => outcome !== 'refused' && compensationOf(participants, command)).map(([command]) => command).reverse();
  expect(compensationsSent, 'compensations sent, in order').toEqual(toUndo.map((command) => compensationOf(participants, command)));
  expect(undone, 'steps undone, in order').toEqual(toUndo);
}
