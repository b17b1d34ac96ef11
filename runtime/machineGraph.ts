import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition as AnyTransition } from 'xstate';

export type { AnyStateNode };

/**
 * One transition of a machine's definition, as the safety checks, the registry, the dashboard and
 * the path coverage all read it.
 */
export type MachineTransition = Readonly<{
  /** `transitionKey()`: `orderSaga.payment#PaymentCaptured#0`. */
  key: string;
  /** For people: `inventory on StockReservationFailed [canRetry] → inventory`. */
  label: string;
  source: AnyStateNode;
  /** The event type XState matches; `''` for an eventless (`always`) transition, `xstate.after.<delay>.<state id>` for a delayed one. */
  eventType: string;
  /** What fires it, for people: the event type, `after paymentTimeout`, or `always`. */
  trigger: string;
  /** Position among the candidates for this event (or among the `always` transitions) of `source`. */
  index: number;
  definition: AnyTransition;
  targets: readonly AnyStateNode[];
  guard: string | undefined;
  /** The delay of an `after` transition: its name in `setup()`, or `1000 ms`; undefined for any other transition. */
  delay: string | undefined;
  actions: readonly string[];
  /** The region of a parallel state the source is in (the innermost one); undefined outside parallel states. */
  region: AnyStateNode | undefined;
}>;

/**
 * The one name of a transition: `<source state id>#<event type>#<index among that event's
 * candidates>`, `always` standing for the eventless type. Stable as long as the machine version
 * is; the dashboard's API serves it, so its format is part of that API.
 */
export function transitionKey(sourceId: string, eventType: string, index: number): string {
  return `${sourceId}#${eventType === '' ? 'always' : eventType}#${index}`;
}

/** The key `transitionsOf` gives `definition`, found by identity: for transitions XState reports as taken. */
export function transitionKeyOf(definition: AnyTransition): string {
  const source = definition.source as AnyStateNode;
  const eventType = definition.eventType;
  const candidates: readonly AnyTransition[] = (eventType === '' ? source.always : source.transitions.get(eventType)) ?? [];
  return transitionKey(source.id, eventType, candidates.indexOf(definition));
}

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

/** Whether `node` is where its parent starts: the target of the parent's initial arrow. */
export const isInitialState = (node: AnyStateNode): boolean => node.parent?.initial?.target.some((target: AnyStateNode) => target === node) ?? false;

/** The region of a parallel state that holds `node` (the innermost one), or undefined. */
export function regionOf(node: AnyStateNode): AnyStateNode | undefined {
  for (let current: AnyStateNode | undefined = node; current?.parent; current = current.parent) {
    if (current.parent.type === 'parallel') return current;
  }
  return undefined;
}

/** The name of an action, guard or delay reference: `capturePayment`, `1000 ms`, `inline` for an anonymous function. */
export function referenceName(reference: unknown): string {
  if (typeof reference === 'string') return reference;
  if (typeof reference === 'number') return `${reference} ms`;
  if (reference && typeof reference === 'object') return 'type' in reference ? String((reference as { type: unknown }).type) : 'inline';
  if (typeof reference === 'function') return reference.name || 'inline';
  return String(reference);
}

/** Every transition of the definition: `on`, `after`, `onDone` (all in `transitions`) and eventless `always`. */
export function transitionsOf(machine: AnyStateMachine): MachineTransition[] {
  const found: MachineTransition[] = [];
  for (const source of [machine.root, ...stateNodesOf(machine)]) {
    const delays = new Map<string, string>(source.after.map((after: AnyTransition & { delay: unknown }) => [after.eventType, referenceName(after.delay)]));
    const groups: [string, readonly AnyTransition[]][] = [...source.transitions.entries()];
    if (source.always) groups.push(['', source.always]);
    for (const [eventType, definitions] of groups) {
      const delay = delays.get(eventType);
      const trigger = eventType === '' ? 'always' : delay === undefined ? eventType : `after ${delay}`;
      definitions.forEach((definition, index) => {
        const targets = (definition.target ?? []) as AnyStateNode[];
        const guard = definition.guard === undefined ? undefined : referenceName(definition.guard);
        const to = targets.length > 0 ? targets.map(statePath).join(', ') : '(stays)';
        found.push({
          key: transitionKey(source.id, eventType, index),
          label: `${statePath(source)} ${eventType === '' ? trigger : `on ${trigger}`}${guard ? ` [${guard}]` : ''} → ${to}`,
          source,
          eventType,
          trigger,
          index,
          definition,
          targets,
          guard,
          delay,
          actions: (definition.actions ?? []).map(referenceName),
          region: regionOf(source),
        });
      });
    }
  }
  return found;
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
