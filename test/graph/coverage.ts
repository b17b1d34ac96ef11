import { createActor, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, type AnyTransitionDefinition, type EventObject, type InspectedMicrostepEvent } from 'xstate';
import { stateNodesOf, statePath, transitionKeyOf, transitionsOf } from '../../runtime/machineGraph.ts';
import { inertScopeOf } from '../../runtime/machineStepper.ts';

/** What a set of paths covers of a machine's definition, and what it misses. */
export type Coverage = Readonly<{
  paths: number;
  steps: number;
  states: Readonly<{ total: number; covered: number; missing: readonly string[] }>;
  transitions: Readonly<{ total: number; covered: number; missing: readonly string[] }>;
}>;

type Recorder = Readonly<{ scope: AnyActorScope; initial: AnyMachineSnapshot; taken: AnyTransitionDefinition[] }>;

/**
 * A scope for `machine.transition` that executes nothing (like XState's pure `transition()`) but
 * whose system reports every microstep, with the transitions it took: eventless ones included.
 */
function recorder(machine: AnyStateMachine, input: unknown): Recorder {
  const taken: AnyTransitionDefinition[] = [];
  const actor = createActor(machine, {
    input,
    inspect: (event) => {
      if (event.type === '@xstate.microstep') taken.push(...(event as InspectedMicrostepEvent)._transitions);
    },
  });
  const scope = inertScopeOf(actor, () => undefined);
  return { scope, initial: actor.getSnapshot() as AnyMachineSnapshot, taken };
}

/** The transitions (by key) and state nodes (by path) that one run of `events` passes through. */
export function traceOf(machine: AnyStateMachine, input: unknown, events: readonly EventObject[]): { transitions: Set<string>; states: Set<string> } {
  const { scope, initial, taken } = recorder(machine, input);
  const states = new Set<string>();
  const visit = (snapshot: AnyMachineSnapshot) => {
    for (const node of snapshot._nodes) if (node.parent) states.add(statePath(node));
  };
  // What the start took counts too: an eventless transition out of the initial state (a threshold in the input) is taken there.
  visit(initial);
  let snapshot = initial;
  for (const event of events) {
    snapshot = machine.transition(snapshot, event, scope) as AnyMachineSnapshot;
    visit(snapshot);
  }
  return { transitions: new Set(taken.map((t) => transitionKeyOf(t))), states };
}

/** Which states and transitions of `machine` the runs of `paths` pass through. */
export function coverageOf(machine: AnyStateMachine, runs: readonly Readonly<{ input: unknown; events: readonly EventObject[] }>[]): Coverage {
  const transitions = new Set<string>();
  const states = new Set<string>();
  for (const run of runs) {
    const trace = traceOf(machine, run.input, run.events);
    trace.transitions.forEach((key) => transitions.add(key));
    trace.states.forEach((path) => states.add(path));
  }
  const allStates = stateNodesOf(machine).map(statePath);
  const allTransitions = transitionsOf(machine);
  return {
    paths: runs.length,
    steps: runs.reduce((sum, run) => sum + run.events.length, 0),
    states: { total: allStates.length, covered: allStates.filter((s) => states.has(s)).length, missing: allStates.filter((s) => !states.has(s)) },
    transitions: {
      total: allTransitions.length,
      covered: allTransitions.filter((t) => transitions.has(t.key)).length,
      missing: allTransitions.filter((t) => !transitions.has(t.key)).map((t) => t.label),
    },
  };
}

/** One line for the test output; the missing states and transitions by name when there are any. */
export function formatCoverage(label: string, coverage: Coverage, durationMs?: number): string {
  const { states, transitions } = coverage;
  const took = durationMs === undefined ? '' : ` in ${durationMs.toFixed(0)} ms`;
  const line = `${label}: ${coverage.paths} paths (${coverage.steps} steps)${took}; states ${states.covered}/${states.total}, transitions ${transitions.covered}/${transitions.total} covered`;
  const missing = [...states.missing.map((s) => `state ${s}`), ...transitions.missing.map((t) => `transition ${t}`)];
  return missing.length === 0 ? line : `${line}\n  not covered: ${missing.join('; ')}`;
}
