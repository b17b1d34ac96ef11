/* global document */
// Draws a laid-out statechart (from GET /machines/:id/layout) as SVG, then overlays live counts,
// the selected state and one saga's path. The server computes every coordinate: this file only draws.

const SVG = 'http://www.w3.org/2000/svg';

function el(name, attributes = {}, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function text(parent, x, y, content, className) {
  const node = el('text', { x, y, class: className }, parent);
  node.textContent = content;
  return node;
}

/** `3s`, `4m 05s`, `2h 10m`, `3d 4h`: how long the oldest saga has not moved. */
export function formatAge(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function arrowMarkers(defs) {
  for (const kind of ['forward', 'retry', 'compensation', 'failure', 'initial', 'path']) {
    // In user space, so that the thick line of a highlighted path keeps a normal-sized arrowhead.
    const size = kind === 'path' ? 12 : 9;
    const marker = el('marker', { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: size, markerHeight: size, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrowhead arrowhead-${kind}` }, marker);
  }
}

const pathData = (points) => points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');

/**
 * Renders `layout` into `container` and returns the handles the page updates on every refresh.
 * `onSelectState(name)` is called when a state that can hold sagas is clicked.
 */
export function drawStatechart(container, layout, onSelectState) {
  container.replaceChildren();
  const svg = el('svg', {
    viewBox: `0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`,
    width: Math.ceil(layout.width),
    height: Math.ceil(layout.height),
    role: 'img',
    'aria-label': `Statechart of ${layout.machineId}`,
    'data-testid': 'statechart',
    'data-machine': layout.machineId,
  }, container);
  arrowMarkers(el('defs', {}, svg));

  const statesLayer = el('g', { class: 'states' }, svg);
  const edgesLayer = el('g', { class: 'edges' }, svg);
  const labelsLayer = el('g', { class: 'labels' }, svg);
  const stateNodes = new Map();
  const counters = new Map();
  const byId = new Map(layout.states.map((state) => [state.id, state]));
  // Parents first, so that children are drawn on top of them.
  const depth = (state) => (state.parent === null ? 0 : 1 + depth(byId.get(state.parent)));
  const drawable = layout.states.filter((state) => state.parent !== null).sort((a, b) => depth(a) - depth(b));

  for (const state of drawable) {
    const { x, y, width, height } = state.box;
    const compound = state.type === 'compound' || state.type === 'parallel';
    const classes = ['state', `state-${state.type}`];
    if (state.compensation) classes.push('compensation');
    if (state.attention) classes.push('attention');
    if (state.type === 'final') classes.push(state.failure ? 'final-failure' : 'final-success');
    const group = el('g', { class: classes.join(' '), 'data-state': state.name, 'data-state-id': state.id, 'data-count': 0, tabindex: compound ? undefined : 0 }, statesLayer);
    const title = el('title', {}, group);
    title.textContent = [state.name, state.description, state.entry.length > 0 ? `entry: ${state.entry.join(', ')}` : null].filter(Boolean).join('\n');
    el('rect', { x, y, width, height, rx: compound ? 14 : 10, class: 'state-box' }, group);
    if (state.type === 'final') el('rect', { x: x + 4, y: y + 4, width: width - 8, height: height - 8, rx: 7, class: 'state-inner' }, group);
    text(group, x + 12, y + 21, state.key, 'state-name');
    const count = text(group, compound ? x + width - 12 : x + 12, compound ? y + 21 : y + 42, '', compound ? 'state-count compound-count' : 'state-count');
    counters.set(state.name, { group, count, compound, state });
    stateNodes.set(state.id, group);
    if (!compound) {
      group.addEventListener('click', () => onSelectState(state.name));
      group.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') onSelectState(state.name);
      });
    }
  }
  for (const dot of layout.initials) {
    el('circle', { cx: dot.x + dot.width / 2, cy: dot.y + dot.height / 2, r: dot.width / 2, class: 'initial-dot', 'data-initial-of': dot.parent }, statesLayer);
  }
  const edgeNodes = [];
  for (const edge of layout.edges) {
    if (edge.points.length < 2) continue;
    const path = el('path', {
      d: pathData(edge.points),
      class: `edge kind-${edge.kind}`,
      'marker-end': `url(#arrow-${edge.kind})`,
      'data-transition': edge.transition ?? undefined,
      'data-target': edge.target,
    }, edgesLayer);
    edgeNodes.push({ edge, path });
    if (edge.label) {
      const group = el('g', { class: `edge-label kind-${edge.kind}`, 'data-transition': edge.transition ?? undefined }, labelsLayer);
      el('rect', { x: edge.label.x - 2, y: edge.label.y, width: edge.label.width + 4, height: edge.label.height, rx: 3, class: 'edge-label-bg' }, group);
      edge.label.lines.forEach((line, i) => text(group, edge.label.x + 2, edge.label.y + 12 + i * 16, line, i === 0 ? 'edge-event' : 'edge-guard'));
    }
  }

  return {
    /** Writes count and oldest age on every state; compound states show the sum of their children. */
    setStats(stats) {
      const byName = new Map(stats.states.map((s) => [s.state, s]));
      for (const { group, count, compound, state } of counters.values()) {
        let n = 0;
        let age = 0;
        for (const [name, s] of byName) {
          if (name === state.name || (compound && name.startsWith(`${state.name}.`))) {
            n += s.count;
            age = Math.max(age, s.oldestAgeMs);
          }
        }
        group.setAttribute('data-count', String(n));
        group.classList.toggle('has-sagas', n > 0);
        count.textContent = n === 0 ? (compound ? '' : '0') : compound ? `${n}` : `${n} · oldest ${formatAge(age)}`;
      }
      return [...byName.keys()].filter((name) => ![...counters.values()].some((c) => c.state.name === name));
    },
    select(name) {
      for (const { group, state } of counters.values()) group.classList.toggle('selected', state.name === name);
    },
    /** Highlights a saga's path (visited states, taken transitions and its current state), or clears it. */
    trace(trace) {
      svg.classList.toggle('tracing', Boolean(trace));
      const visited = new Set(trace?.visitedStates ?? []);
      const taken = new Set(trace?.takenTransitions ?? []);
      const initials = new Set(trace?.initialEntries ?? []);
      for (const [id, group] of stateNodes) {
        group.classList.toggle('on-path', visited.has(id));
        group.classList.toggle('current', Boolean(trace) && byId.get(id).name === trace.state);
      }
      for (const { edge, path } of edgeNodes) {
        const onPath = edge.transition === null ? initials.has(edge.target) : taken.has(edge.transition);
        path.classList.toggle('on-path', onPath);
        path.setAttribute('marker-end', `url(#arrow-${onPath ? 'path' : edge.kind})`);
      }
      for (const label of labelsLayer.children) label.classList.toggle('on-path', taken.has(label.getAttribute('data-transition')));
    },
  };
}
