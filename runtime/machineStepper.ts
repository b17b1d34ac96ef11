import { createActor, initialTransition, transition, type AnyActor, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { stateNodesOf } from './machineGraph.ts';

/** What one step of a machine returns: the next snapshot, and the actions it would execute (nothing executes them). */
export type MachineStep = [snapshot: AnyMachineSnapshot, actions: { type: string; params?: unknown }[]];

/** xstate's pure `initialTransition()` and `transition()` for one machine, at a lower cost per call. */
export type MachineStepper = Readonly<{
  initial(input: unknown): MachineStep;
  next(snapshot: AnyMachineSnapshot, event: EventObject): MachineStep;
}>;

const steppers = new WeakMap<AnyStateMachine, MachineStepper>();

/**
 * xstate's `transition()` builds a throwaway actor per call, and building one computes the machine's
 * initial state: about 30 µs, four times the transition itself. The stepper builds that inert
 * scope once per machine and only swaps the action collector, which is what a live actor does for
 * its whole life. A machine that invokes actors keeps xstate's functions: its children register
 * in the scope's actor system, and a shared system would carry them from one saga to the next.
 */
export function stepperFor(machine: AnyStateMachine): MachineStepper {
  let stepper = steppers.get(machine);
  if (!stepper) {
    stepper = invokesActors(machine) ? xstateStepper(machine) : sharedScopeStepper(machine);
    steppers.set(machine, stepper);
  }
  return stepper;
}

function xstateStepper(machine: AnyStateMachine): MachineStepper {
  return {
    initial: (input) => initialTransition(machine, input as never) as MachineStep,
    next: (snapshot, event) => transition(machine, snapshot, event as never) as MachineStep,
  };
}

function sharedScopeStepper(machine: AnyStateMachine): MachineStepper {
  let collected: MachineStep[1] = [];
  const scope = inertScopeOf(createActor(machine), (action) => void collected.push(action));
  const run = (step: () => AnyMachineSnapshot): MachineStep => {
    collected = [];
    const snapshot = step();
    const actions = collected;
    collected = [];
    return [snapshot, actions];
  };
  return {
    initial: (input) => run(() => machine.getInitialSnapshot(scope, input)),
    next: (snapshot, event) => run(() => machine.transition(snapshot, event, scope)),
  };
}

/** An actor scope like xstate's own inert one: actions go to `actionExecutor`, nothing runs an effect. */
export function inertScopeOf(self: AnyActor, actionExecutor: (action: MachineStep[1][number]) => void): AnyActorScope {
  return {
    self,
    system: self.system,
    id: '',
    sessionId: '',
    logger: () => undefined,
    defer: () => undefined,
    emit: () => undefined,
    stopChild: () => undefined,
    actionExecutor,
  } as unknown as AnyActorScope;
}

function invokesActors(machine: AnyStateMachine): boolean {
  return [machine.root, ...stateNodesOf(machine)].some((node) => node.invoke.length > 0);
}
