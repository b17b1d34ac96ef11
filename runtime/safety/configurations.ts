import { entryLeaves, isTerminal, type AnyStateNode, type MachineTransition } from '../machineGraph.ts';

/**
 * Where a saga rests: one atomic state, or one per region while inside a parallel state. The
 * checks walk configurations, not single states, so that a parallel state's regions move one
 * at a time and its `onDone` fires only once every region has reached a final state.
 */
export type Leaves = readonly AnyStateNode[];

export const leavesKey = (leaves: Leaves): string =>
  leaves
    .map((leaf) => leaf.id)
    .sort()
    .join('+');

/** Over: the saga rests in a top-level final state. */
export const isOver = (leaves: Leaves): boolean => leaves.length === 1 && isTerminal(leaves[0]!);

const isUnder = (node: AnyStateNode, ancestor: AnyStateNode): boolean => {
  for (let current: AnyStateNode | undefined = node; current; current = current.parent) if (current === ancestor) return true;
  return false;
};

/** `node` and its ancestors, innermost first. */
function ancestry(node: AnyStateNode): AnyStateNode[] {
  const chain: AnyStateNode[] = [];
  for (let current: AnyStateNode | undefined = node; current; current = current.parent) chain.push(current);
  return chain;
}

type GuardLike = { check?: { name?: string }; stateValue?: unknown; guards?: readonly unknown[] };

/**
 * What a guard says in this configuration, when the configuration alone decides it: `stateIn('#id')`
 * and `and`/`or`/`not` of such guards. Any other guard (one that reads the context) may go either
 * way: undefined.
 */
export function decideGuard(guard: unknown, leaves: Leaves, named: Readonly<Record<string, unknown>> = {}): boolean | undefined {
  // A guard named in setup() is decided by what it is named for (a stateIn, an and of them…), so that charts stay exportable.
  const name = typeof guard === 'string' ? guard : typeof guard === 'object' && guard !== null ? (guard as { type?: unknown }).type : undefined;
  if (typeof name === 'string' && Object.hasOwn(named, name)) return decideGuard(named[name], leaves);
  if (typeof guard !== 'function') return undefined;
  const { check, stateValue, guards = [] } = guard as GuardLike;
  const parts = () => guards.map((inner) => decideGuard(inner, leaves));
  switch (check?.name) {
    case 'checkStateIn': {
      if (typeof stateValue !== 'string' || !stateValue.startsWith('#')) return undefined;
      return leaves.some((leaf) => ancestry(leaf).some((node) => node.id === stateValue.slice(1)));
    }
    case 'checkNot': {
      const [inner] = parts();
      return inner === undefined ? undefined : !inner;
    }
    case 'checkAnd': {
      const decided = parts();
      return decided.includes(false) ? false : decided.every((d) => d === true) ? true : undefined;
    }
    case 'checkOr': {
      const decided = parts();
      return decided.includes(true) ? true : decided.every((d) => d === false) ? false : undefined;
    }
    default:
      return undefined;
  }
}

/** The guards the transition's machine names in setup(). */
const namedGuardsOf = (transition: MachineTransition): Readonly<Record<string, unknown>> =>
  ((transition.definition.source as { machine?: { implementations?: { guards?: Record<string, unknown> } } }).machine?.implementations?.guards ?? {});

/** Of `options` (in priority order), those that may fire: decided-false ones drop out, and the first that surely fires shadows the rest. */
function mayFire(options: readonly MachineTransition[], leaves: Leaves): MachineTransition[] {
  const chosen: MachineTransition[] = [];
  for (const transition of options) {
    const decided = transition.definition.guard === undefined ? true : decideGuard(transition.definition.guard, leaves, namedGuardsOf(transition));
    if (decided === false) continue;
    chosen.push(transition);
    if (decided === true) break;
  }
  return chosen;
}

const DONE_PREFIX = 'xstate.done.state.';

/** Whether `node` is done in this configuration: its active child is final (compound), or every region is done (parallel). */
function isDone(node: AnyStateNode, leaves: Leaves): boolean {
  if (node.type === 'parallel') return (Object.values(node.states) as AnyStateNode[]).every((region) => isDone(region, leaves));
  if (node.type !== 'compound') return false;
  const active = leaves.find((leaf) => isUnder(leaf, node));
  return active !== undefined && active.type === 'final' && active.parent === node;
}

/**
 * The transitions that may fire in this configuration, guards undecided either way. A
 * configuration with an automatic transition that surely fires (eventless, or the `onDone` of a
 * state now done) is passed through, not rested in: only those transitions leave it.
 */
export function transitionsFrom(leaves: Leaves, all: readonly MachineTransition[]): { transitions: MachineTransition[]; passing: boolean } {
  const bySource = new Map<AnyStateNode, MachineTransition[]>();
  for (const transition of all) bySource.set(transition.source, [...(bySource.get(transition.source) ?? []), transition]);
  const automatic: MachineTransition[] = [];
  const onEvent: MachineTransition[] = [];
  let passing = false;
  const seen = new Set<string>();
  const add = (list: MachineTransition[], chosen: readonly MachineTransition[]) => {
    for (const transition of chosen) if (!seen.has(transition.key) && (seen.add(transition.key), true)) list.push(transition);
  };
  for (const leaf of leaves) {
    const chain = ancestry(leaf);
    const byEvent = new Map<string, MachineTransition[]>();
    for (const node of chain) for (const transition of bySource.get(node) ?? []) byEvent.set(transition.eventType, [...(byEvent.get(transition.eventType) ?? []), transition]);
    for (const [eventType, options] of byEvent) {
      if (eventType.startsWith(DONE_PREFIX)) {
        const node = options[0]!.source;
        if (eventType !== `${DONE_PREFIX}${node.id}` || !isDone(node, leaves)) continue;
      }
      const chosen = mayFire(options, leaves);
      if (eventType === '' || eventType.startsWith(DONE_PREFIX)) {
        add(automatic, chosen);
        if (chosen.some((t) => t.definition.guard === undefined || decideGuard(t.definition.guard, leaves, namedGuardsOf(t)) === true)) passing = true;
      } else {
        add(onEvent, chosen);
      }
    }
  }
  return passing ? { transitions: automatic, passing } : { transitions: [...automatic, ...onEvent], passing };
}

/** The states a transition exits and enters from: the least common ancestor of its source and targets, or the source for a move inside it. */
function domainOf(transition: MachineTransition): AnyStateNode {
  const { source, targets } = transition;
  if (!transition.definition.reenter && targets.every((target) => isUnder(target, source))) return source;
  const [head, ...tail] = [...targets, source];
  for (const ancestor of ancestry(head!).slice(1)) if (tail.every((node) => isUnder(node, ancestor))) return ancestor;
  return source.machine.root as AnyStateNode;
}

/** The atomic states entered on the way from `domain` down to `target`: every region of a parallel state passed through. */
function enteredLeaves(domain: AnyStateNode, target: AnyStateNode): AnyStateNode[] {
  const entered = entryLeaves(target);
  let child = target;
  for (let node = target.parent; node && node !== domain; child = node, node = node.parent) {
    if (node.type === 'parallel') for (const region of Object.values(node.states) as AnyStateNode[]) if (region !== child) entered.push(...entryLeaves(region));
  }
  return entered;
}

/** Where the saga rests after `transition` fires in this configuration. */
export function leavesAfter(leaves: Leaves, transition: MachineTransition): AnyStateNode[] {
  if (transition.targets.length === 0) return [...leaves];
  const domain = domainOf(transition);
  const entered = transition.targets.flatMap((target) => enteredLeaves(domain, target));
  return [...new Set([...leaves.filter((leaf) => !isUnder(leaf, domain)), ...entered])];
}
