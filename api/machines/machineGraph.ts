import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { descendantsOf, transitionsOf } from '../../runtime/safety/machineGraph.ts';

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
  /** `<source id>#<event type>#<index>`: stable as long as the machine version is. */
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

/** The name of an action, guard or delay reference as the chart shows it. */
function nameOf(reference: unknown): string {
  if (typeof reference === 'string') return reference;
  if (typeof reference === 'number') return `${reference} ms`;
  if (reference && typeof reference === 'object' && 'type' in reference) return String((reference as { type: unknown }).type);
  if (typeof reference === 'function') return reference.name || 'inline';
  return String(reference);
}

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
 * Every state and transition of a machine, read from its state nodes: the same structure XState
 * executes, so the chart cannot drift from the code.
 */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const nodes = [machine.root, ...descendantsOf(machine.root)];
  const states: GraphState[] = nodes.map((node) => ({
    id: node.id,
    name: node.path.join('.'),
    key: node.key,
    parent: node.parent?.id ?? null,
    type: node.type,
    initial: node.parent?.initial?.target.some((target: AnyStateNode) => target === node) ?? false,
    description: node.description ?? null,
    compensation: isCompensation(node),
    failure: node.type === 'final' && FAILURE.test(node.key),
    attention: ATTENTION.test(node.key),
    entry: (node.config.entry === undefined ? [] : [node.config.entry].flat()).map(nameOf),
  }));
  const delays = new Map<string, string>();
  for (const node of nodes) for (const after of node.after) delays.set(after.eventType, nameOf(after.delay));
  // The same walk of the definition that the saga-safety checks and the coverage count use.
  const transitions: GraphTransition[] = transitionsOf(machine).map(({ source, eventType, index, definition, targets }) => {
    const delay = delays.get(eventType) ?? null;
    const always = eventType === '';
    return {
      id: `${source.id}#${always ? 'always' : eventType}#${index}`,
      source: source.id,
      targets: targets.map((target) => target.id),
      event: eventType,
      label: always ? 'always' : delay === null ? eventType : `after ${delay}`,
      delay,
      guard: definition.guard === undefined ? null : nameOf(definition.guard),
      actions: (definition.actions ?? []).map(nameOf),
      reenter: definition.reenter,
      kind: kindOf(source, targets),
    };
  });
  return { machineId: machine.id, states, transitions };
}

/** The ids of the state nodes a snapshot value stands for, ancestors included. */
export function activeStateIds(machine: AnyStateMachine, value: unknown): string[] {
  const ids: string[] = [machine.root.id];
  const visit = (node: AnyStateNode, part: unknown): void => {
    if (typeof part === 'string') {
      const child = node.states[part] as AnyStateNode | undefined;
      if (child) ids.push(child.id);
      return;
    }
    if (!part || typeof part !== 'object') return;
    for (const [key, inner] of Object.entries(part as Record<string, unknown>)) {
      const child = node.states[key] as AnyStateNode | undefined;
      if (!child) continue;
      ids.push(child.id);
      visit(child, inner);
    }
  };
  visit(machine.root, value);
  return ids;
}
