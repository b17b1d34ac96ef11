import elkModule, { type ELK, type ELKConstructorArguments, type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { GraphState, GraphTransition, MachineGraph } from './machineGraph.ts';

// The bundle is CommonJS whose module.exports is the constructor, while its typings declare a default export.
const Elk = elkModule as unknown as new (args?: ELKConstructorArguments) => ELK;

export type Point = Readonly<{ x: number; y: number }>;
export type Box = Readonly<{ x: number; y: number; width: number; height: number }>;

export type LaidOutState = GraphState & Readonly<{ box: Box }>;
export type LaidOutEdge = Readonly<{
  /** The transition it draws; the initial arrow of a compound state has none. */
  transition: string | null;
  kind: GraphTransition['kind'] | 'initial';
  source: string;
  target: string;
  points: readonly Point[];
  label: (Box & { lines: readonly string[] }) | null;
}>;

/** A statechart with coordinates: the browser only draws it, so the page needs no layout library. */
export type StatechartLayout = Readonly<{
  machineId: string;
  width: number;
  height: number;
  states: readonly LaidOutState[];
  /** The dots that mark where a compound state starts. */
  initials: readonly (Box & { parent: string })[];
  edges: readonly LaidOutEdge[];
  transitions: MachineGraph['transitions'];
}>;

// Sizes in CSS pixels for the page's fonts (12 px labels, 13 px bold state names); an estimate is enough for layout.
const CHAR = 7.4;
const BOLD_CHAR = 8.8;
const LINE = 16;
const STATE_HEIGHT = 58;
const TITLE = 30;

const textWidth = (text: string): number => Math.ceil(text.length * CHAR) + 8;

/** Long event names break between words (`StockReservation`/`Failed`): the chart stays compact enough to read. */
function wrap(label: string, max = 16): string[] {
  const pieces = label
    .split(' ')
    .flatMap((word, w) => (word.length > max ? word.split(/(?<=[a-z0-9])(?=[A-Z])/) : [word]).map((piece, i) => ({ piece, space: w > 0 && i === 0 })));
  const lines: string[] = [];
  for (const { piece, space } of pieces) {
    const joined = `${lines.at(-1) ?? ''}${space ? ' ' : ''}${piece}`;
    if (lines.length > 0 && joined.length <= max) lines[lines.length - 1] = joined;
    else lines.push(piece);
  }
  return lines;
}

function labelLines(transition: GraphTransition): string[] {
  return [...wrap(transition.label), ...(transition.guard === null ? [] : [`[${transition.guard}]`])];
}

/**
 * Lays a machine out with ELK's layered algorithm (the one Stately's editor uses), nested states
 * inside their parents, every transition with its label. Coordinates are absolute.
 */
export async function layoutStatechart(graph: MachineGraph): Promise<StatechartLayout> {
  const elkNodes = new Map<string, ElkNode>();
  const root = graph.states.find((state) => state.parent === null)!;
  const rootNode: ElkNode = {
    id: root.id,
    children: [],
    edges: [],
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '32',
      'elk.layered.spacing.edgeNodeBetweenLayers': '10',
      'elk.spacing.nodeNode': '36',
      'elk.spacing.edgeNode': '18',
      'elk.spacing.edgeEdge': '12',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.nodePlacement.strategy': 'LINEAR_SEGMENTS',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    },
  };
  elkNodes.set(root.id, rootNode);
  const initialEdges: ElkExtendedEdge[] = [];
  for (const state of graph.states) {
    if (state.parent === null) continue;
    const compound = state.type === 'compound' || state.type === 'parallel';
    const node: ElkNode = compound
      ? {
          id: state.id,
          children: [],
          labels: [{ text: state.key, width: Math.ceil(state.key.length * BOLD_CHAR) + 60, height: LINE }],
          layoutOptions: { 'elk.padding': `[top=${TITLE + 8},left=16,bottom=16,right=16]`, 'elk.nodeLabels.placement': '[H_LEFT, V_TOP, INSIDE]' },
        }
      : { id: state.id, width: Math.max(130, Math.ceil(state.key.length * BOLD_CHAR) + 28), height: STATE_HEIGHT };
    elkNodes.set(state.id, node);
    elkNodes.get(state.parent)!.children!.push(node);
  }
  for (const state of graph.states) {
    const initial = graph.states.find((child) => child.parent === state.id && child.initial);
    if (!initial) continue;
    const dot = `${state.id}#initial`;
    elkNodes.get(state.id)!.children!.unshift({ id: dot, width: 12, height: 12 });
    initialEdges.push({ id: dot, sources: [dot], targets: [initial.id] });
  }
  // An edge per target; which transition an edge draws is looked up, never parsed back out of its id.
  const drawnBy = new Map<string, GraphTransition>();
  const transitionEdges: ElkExtendedEdge[] = graph.transitions.flatMap((transition) =>
    transition.targets.map((target, index) => {
      const lines = labelLines(transition);
      const id = index === 0 ? transition.id : `${transition.id}@${index}`;
      drawnBy.set(id, transition);
      return {
        id,
        sources: [transition.source],
        targets: [target],
        labels: [{ id: `${transition.id}@label${index}`, text: lines.join('\n'), width: Math.max(...lines.map(textWidth)), height: lines.length * LINE }],
      };
    }),
  );
  rootNode.edges = [...initialEdges, ...transitionEdges];

  const laidOut = await new Elk().layout(rootNode);
  const boxes = new Map<string, Box>();
  const collect = (node: ElkNode) => {
    boxes.set(node.id, { x: node.x ?? 0, y: node.y ?? 0, width: node.width ?? 0, height: node.height ?? 0 });
    for (const child of node.children ?? []) collect(child);
  };
  collect(laidOut);
  const edges: LaidOutEdge[] = (laidOut.edges ?? []).map((edge) => {
    const section = edge.sections?.[0];
    const points = section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint] : [];
    const transition = drawnBy.get(edge.id) ?? null;
    const label = edge.labels?.[0];
    return {
      transition: transition?.id ?? null,
      kind: transition?.kind ?? 'initial',
      source: edge.sources[0]!,
      target: edge.targets[0]!,
      points: points.map((point) => ({ x: point.x, y: point.y })),
      label: label ? { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0, lines: (label.text ?? '').split('\n') } : null,
    };
  });
  return {
    machineId: graph.machineId,
    width: laidOut.width ?? 0,
    height: laidOut.height ?? 0,
    states: graph.states.map((state) => ({ ...state, box: boxes.get(state.id)! })),
    initials: graph.states.flatMap((state) => {
      const box = boxes.get(`${state.id}#initial`);
      return box ? [{ ...box, parent: state.id }] : [];
    }),
    edges,
    transitions: graph.transitions,
  };
}
