import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition as AnyTransition } from 'xstate';

export type { AnyStateNode };

/** One transition of a machine's definition: what coverage counts and what the static checks walk. */
export type MachineTransition = Readonly<{
  /** Stable within one machine definition: source, event and position among that event's candidates. */
  key: string;
  /** For people: `inventory on StockReservationFailed [canRetry] → inventory`. */
  label: string;
  source: AnyStateNode;
  eventType: string;
  /** Position among the candidates for this event (or among the `always` transitions) of `source`. */
  index: number;
  definition: AnyTransition;
  targets: readonly AnyStateNode[];
  guard: string | undefined;
}>;

/** `compensating.refundingPayment` for the node of that path; the root is `(root)`. */
export function statePath(node: AnyStateNode): string {
  return node.path.length > 0 ? node.path.join('.') : '(root)';
}

/** Every state node below `node`, parents before their children. */
export function descendantsOf(node: AnyStateNode): AnyStateNode[] {
  return (Object.values(node.states) as AnyStateNode[]).flatMap((child) => [child, ...descendantsOf(child)]);
}

/** Every state node below the root, parents before their children. */
export const stateNodesOf = (machine: AnyStateMachine): AnyStateNode[] => descendantsOf(machine.root);

/** `xstate.after.paymentTimeout.orderSaga.payment` → `after paymentTimeout`; other events as they are. */
export function eventLabel(eventType: string, source?: AnyStateNode): string {
  if (!eventType.startsWith('xstate.after.')) return eventType;
  const delay = eventType.slice('xstate.after.'.length);
  return `after ${source && delay.endsWith(`.${source.id}`) ? delay.slice(0, -source.id.length - 1) : delay}`;
}

const guardName = (guard: unknown): string | undefined => {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline guard';
  return (guard as { type?: string }).type ?? 'guard';
};

/** Every transition of the definition: `on`, `after`, `onDone` (all in `transitions`) and eventless `always`. */
export function transitionsOf(machine: AnyStateMachine): MachineTransition[] {
  const found: MachineTransition[] = [];
  for (const source of [machine.root, ...stateNodesOf(machine)]) {
    const groups: [string, readonly AnyTransition[]][] = [...source.transitions.entries()];
    if (source.always) groups.push(['', source.always]);
    for (const [eventType, definitions] of groups) {
      definitions.forEach((definition, index) => {
        const targets = (definition.target ?? []) as AnyStateNode[];
        const guard = guardName(definition.guard);
        const on = eventType === '' ? 'always' : `on ${eventLabel(eventType, source)}`;
        const to = targets.length > 0 ? targets.map(statePath).join(', ') : '(stays)';
        found.push({
          key: `${source.id}|${eventType}|${index}`,
          label: `${statePath(source)} ${on}${guard ? ` [${guard}]` : ''} → ${to}`,
          source,
          eventType,
          index,
          definition,
          targets,
          guard,
        });
      });
    }
  }
  return found;
}

/** The key `transitionsOf` gives the transition `definition`, found by identity. */
export function transitionKeyOf(definition: AnyTransition): string {
  const source = definition.source as AnyStateNode;
  const eventType = definition.eventType;
  const candidates: readonly AnyTransition[] = (eventType === '' ? source.always : source.transitions.get(eventType)) ?? [];
  return `${source.id}|${eventType}|${candidates.indexOf(definition)}`;
}

/** The atomic states a saga rests in once `node` is entered (through initial states; every region of a parallel one). */
export function entryLeaves(node: AnyStateNode): AnyStateNode[] {
  if (node.type === 'atomic' || node.type === 'final' || node.type === 'history') return [node];
  if (node.type === 'parallel') return (Object.values(node.states) as AnyStateNode[]).flatMap(entryLeaves);
  const initial = node.initial?.target?.[0] as AnyStateNode | undefined;
  return initial ? entryLeaves(initial) : [node];
}

/** A top-level final state: the saga is over. */
export const isTerminal = (node: AnyStateNode): boolean => node.type === 'final' && node.parent?.parent === undefined;

/** `node` and its ancestors, innermost first. */
function ancestry(node: AnyStateNode): AnyStateNode[] {
  const chain: AnyStateNode[] = [];
  for (let current: AnyStateNode | undefined = node; current; current = current.parent) chain.push(current);
  return chain;
}

/**
 * The transitions that may fire while the saga rests in atomic state `leaf`, guards assumed either
 * way: for each event the innermost candidates first, up to the first unguarded one, which shadows
 * every candidate further out.
 */
export function candidateTransitions(leaf: AnyStateNode, all: readonly MachineTransition[]): MachineTransition[] {
  const chain = ancestry(leaf);
  const byEvent = new Map<string, MachineTransition[]>();
  for (const node of chain) {
    for (const transition of all.filter((t) => t.source === node)) {
      const list = byEvent.get(transition.eventType) ?? [];
      byEvent.set(transition.eventType, list);
      list.push(transition);
    }
  }
  const candidates: MachineTransition[] = [];
  for (const list of byEvent.values()) {
    for (const transition of list) {
      candidates.push(transition);
      if (transition.guard === undefined) break;
    }
  }
  return candidates;
}

/** Where the saga rests after `transition` fires in `leaf`. */
export function nextLeaves(leaf: AnyStateNode, transition: MachineTransition): AnyStateNode[] {
  return transition.targets.length === 0 ? [leaf] : transition.targets.flatMap(entryLeaves);
}

/** Whether the saga in `leaf` accepts events of `eventType` (a wildcard `*` accepts everything). */
export function accepts(leaf: AnyStateNode, eventType: string, all: readonly MachineTransition[]): boolean {
  return candidateTransitions(leaf, all).some((t) => t.eventType === eventType || t.eventType === '*');
}
