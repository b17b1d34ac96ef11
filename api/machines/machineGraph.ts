import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { descendantsOf, isInitialState, referenceName, transitionsOf } from '../../runtime/machineGraph.ts';

/**
 * How a transition reads on the chart: the happy path, a retry of the same step, a compensation
 * (into or inside the states that undo completed steps), or a failure that needs no undoing.
 */
export type TransitionKind = 'forward' | 'retry' | 'compensation' | 'failure';

export type GraphState = Readonly<{
  /** XState's state node id: `orderSaga.payment.capturing`. */
  id: string;
  /** The dotted path the read model stores (`payment.capturing`); `''` for the root. */
  name: string;
  key: string;
  parent: string | null;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The state its parent enters first. */
  initial: boolean;
  description: string | null;
  /** Inside the states that undo completed steps. */
  compensation: boolean;
  /** A final state that ends the saga unsuccessfully. */
  failure: boolean;
  /** A state where the saga waits for a human (parked): drawn in red with its count and oldest age. */
  attention: boolean;
  entry: readonly string[];
}>;

export type GraphTransition = Readonly<{
  /** The transition's `transitionKey()`: `orderSaga.payment#PaymentCaptured#0`, the same in the checks and the coverage. */
  id: string;
  source: string;
  targets: readonly string[];
  /** The event type XState matches: a delayed transition's is `xstate.after.<delay>.<state id>`. */
  event: string;
  /** What the chart shows: the event, or `after <delay>`. */
  label: string;
  delay: string | null;
  guard: string | null;
  actions: readonly string[];
  reenter: boolean;
  kind: TransitionKind;
}>;

export type MachineGraph = Readonly<{ machineId: string; states: readonly GraphState[]; transitions: readonly GraphTransition[] }>;

const COMPENSATION = /compensat|rollback|undo|revert/i;
const FAILURE = /fail|error|abort|cancel|reject/i;
const ATTENTION = /park|attention|manual/i;
/** States where a saga waits before it tries a step again. */
const WAITING = /backingoff|backoff|retry|wait/i;

function isCompensation(node: AnyStateNode): boolean {
  return node.path.some((key: string) => COMPENSATION.test(key));
}

function kindOf(source: AnyStateNode, targets: readonly AnyStateNode[]): TransitionKind {
  if (targets.length === 1 && targets[0] === source) return 'retry';
  // Into a wait before the next attempt, and out of it into that attempt.
  if (WAITING.test(source.key) || targets.some((target) => WAITING.test(target.key))) return 'retry';
  if (isCompensation(source) || targets.some(isCompensation)) return 'compensation';
  if (targets.some((target) => target.type === 'final' && FAILURE.test(target.key))) return 'failure';
  return 'forward';
}

/**
 * Every state and transition of a machine as the chart draws them, read from runtime/machineGraph
 * like the safety checks and the path coverage: the chart cannot drift from the code, and a
 * transition has the same key everywhere.
 */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const nodes = [machine.root, ...descendantsOf(machine.root)];
  const states: GraphState[] = nodes.map((node) => ({
    id: node.id,
    name: node.path.join('.'),
    key: node.key,
    parent: node.parent?.id ?? null,
    type: node.type,
    initial: isInitialState(node),
    description: node.description ?? null,
    compensation: isCompensation(node),
    failure: node.type === 'final' && FAILURE.test(node.key),
    attention: ATTENTION.test(node.key),
    entry: (node.config.entry === undefined ? [] : [node.config.entry].flat()).map(referenceName),
  }));
  const transitions: GraphTransition[] = transitionsOf(machine).map((transition) => ({
    id: transition.key,
    source: transition.source.id,
    targets: transition.targets.map((target) => target.id),
    event: transition.eventType,
    label: transition.trigger,
    delay: transition.delay ?? null,
    guard: transition.guard ?? null,
    actions: transition.actions,
    reenter: transition.definition.reenter,
    kind: kindOf(transition.source, transition.targets),
  }));
  return { machineId: machine.id, states, transitions };
}
