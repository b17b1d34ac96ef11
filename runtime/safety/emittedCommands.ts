import type { AnyStateMachine } from 'xstate';
import { descendantsOf, entryLeaves, stateNodesOf, statePath, transitionsOf, type AnyStateNode } from '../machineGraph.ts';

/** A command the machine emits, and where: on entering a state, or on a transition. */
export type Emission = Readonly<{
  command: string;
  /** The named action (or `inline`) that emits it. */
  action: string;
  /** Where the definition puts it, for reports: `entry of shipping`, `inventory on StockReserved`. */
  where: string;
  /** The atomic states the saga rests in right after emitting it: they must accept its replies. */
  awaitedIn: readonly AnyStateNode[];
}>;

/** An action that emits something whose type could not be told from the definition. */
export type OpaqueAction = Readonly<{ action: string; where: string; reason: string }>;

type ActionRef = unknown;
type EmitAction = { type: 'xstate.emit'; event: unknown };

/**
 * Stands for any value while an emit expression is evaluated without a real context: every
 * property and call yields another stand-in, so `context.order.orderId` costs nothing and the
 * expression's literal `type` comes out.
 */
function standIn(): unknown {
  return new Proxy(function standInValue() {}, {
    get: (_target, key) => (key === Symbol.toPrimitive ? () => 0 : key === 'then' ? undefined : standIn()),
    apply: () => standIn(),
  });
}

const isEmit = (value: unknown): value is EmitAction =>
  typeof value === 'function' && (value as { type?: unknown }).type === 'xstate.emit';

function resolveAction(machine: AnyStateMachine, ref: ActionRef): { name: string; implementation: unknown; params: unknown } {
  const implementations = (machine.implementations.actions ?? {}) as Record<string, unknown>;
  if (typeof ref === 'string') return { name: ref, implementation: implementations[ref], params: undefined };
  if (typeof ref === 'function') return { name: (ref as { type?: string }).type === 'xstate.emit' ? 'inline emit' : ref.name || 'inline', implementation: ref, params: undefined };
  const { type, params } = ref as { type: string; params?: unknown };
  return { name: type, implementation: implementations[type], params };
}

function emittedType(action: EmitAction, params: unknown): string {
  const event = typeof action.event === 'function' ? action.event({ context: standIn(), event: standIn(), self: standIn(), system: standIn() }, params) : action.event;
  const type = (event as { type?: unknown } | undefined)?.type;
  if (typeof type !== 'string') throw new Error('its event has no literal type');
  return type;
}

/** The commands a machine emits, found in its definition: entry, exit and transition actions. */
export function emissionsOf(machine: AnyStateMachine): { emissions: Emission[]; opaque: OpaqueAction[] } {
  const emissions: Emission[] = [];
  const opaque: OpaqueAction[] = [];
  const visit = (refs: readonly ActionRef[], where: string, awaitedIn: readonly AnyStateNode[]) => {
    for (const ref of refs) {
      const { name, implementation, params } = resolveAction(machine, ref);
      const kind = (implementation as { type?: string } | undefined)?.type;
      if (kind === 'xstate.enqueueActions') opaque.push({ action: name, where, reason: 'enqueueActions may emit anything' });
      if (!isEmit(implementation)) continue;
      try {
        emissions.push({ command: emittedType(implementation, params), action: name, where, awaitedIn });
      } catch (error) {
        opaque.push({ action: name, where, reason: (error as Error).message });
      }
    }
  };
  const leavesUnder = (node: AnyStateNode): AnyStateNode[] => [node, ...descendantsOf(node)].filter((n) => n.type === 'atomic' || n.type === 'final');
  for (const node of stateNodesOf(machine)) {
    visit(node.entry, `entry of ${statePath(node)}`, entryLeaves(node));
    visit(node.exit, `exit of ${statePath(node)}`, []);
  }
  for (const transition of transitionsOf(machine)) {
    const awaitedIn = transition.targets.length > 0 ? transition.targets.flatMap(entryLeaves) : leavesUnder(transition.source);
    visit(transition.definition.actions, transition.label, awaitedIn);
  }
  return { emissions, opaque };
}
