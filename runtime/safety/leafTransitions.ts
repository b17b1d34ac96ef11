import { entryLeaves, type AnyStateNode, type MachineTransition } from '../machineGraph.ts';

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
