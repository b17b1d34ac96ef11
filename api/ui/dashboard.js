/* global document, window, location, history, setTimeout, clearTimeout, URLSearchParams, URL, Blob, console, confirm, prompt */
// The dashboard: one machine's statechart with live counts, the sagas in a state, and one saga's
// path and history. Where the user is lives in the URL's hash, so a view can be shared or reloaded.
import { createSignIn, SignInNeeded } from './signIn.js';
import { drawStatechart, formatAge } from './statechart.js';

// `?refresh=<ms>` (0: never) and `?pageSize=<n>` tune the page, e.g. for a wall screen.
const params = new URLSearchParams(location.search);
const refreshMs = Math.max(0, Number(params.get('refresh') ?? 2000) || 0);
const PAGE = Math.min(200, Math.max(1, Number(params.get('pageSize') ?? 20) || 20));

const $ = (id) => document.getElementById(id);
const view = { machine: '', state: '', q: '', offset: 0, saga: '' };
let chart;
let layoutOf = '';
let paused = false;
let timer;
let lastTrace;
/** What the last operator action on the open saga came to, kept across refreshes of its panel. */
let actionResult = '';

function readHash() {
  const hash = new URLSearchParams(location.hash.slice(1));
  view.machine = hash.get('machine') ?? view.machine;
  view.state = hash.get('state') ?? '';
  view.q = hash.get('q') ?? '';
  view.offset = Number(hash.get('offset') ?? 0) || 0;
  view.saga = hash.get('saga') ?? '';
}

function writeHash(changes) {
  Object.assign(view, changes);
  const hash = new URLSearchParams();
  for (const key of ['machine', 'state', 'q', 'offset', 'saga']) if (view[key]) hash.set(key, String(view[key]));
  history.replaceState(null, '', `#${hash}`);
  void render();
}

async function getJson(path) {
  const response = await signIn.fetch(path, { accept: 'application/json' });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail ?? `${response.status} for ${path}`);
  return body;
}

function node(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) element.append(child);
  return element;
}

const money = (minor, currency) => (typeof minor === 'number' ? `${(minor / 100).toFixed(2)} ${currency ?? ''}`.trim() : '');
const clock = (iso) => (iso ? new Date(iso).toISOString().slice(11, 23) : '');
const ago = (iso, now) => (iso ? `${formatAge(Math.max(0, now - Date.parse(iso)))} ago` : '');

function showError(error) {
  $('error').hidden = !error;
  $('error').textContent = error ? String(error.message ?? error) : '';
}

async function loadMachines() {
  const { machines } = await getJson('/machines');
  const select = $('machine');
  select.replaceChildren(...machines.map((m) => node('option', { value: m.id }, m.id)));
  if (!view.machine || !machines.some((m) => m.id === view.machine)) view.machine = machines[0]?.id ?? '';
  select.value = view.machine;
}

async function ensureChart() {
  if (layoutOf === view.machine) return;
  const layout = await getJson(`/machines/${encodeURIComponent(view.machine)}/layout`);
  chart = drawStatechart($('chart'), layout, (state) => writeHash({ state: view.state === state ? '' : state, offset: 0 }));
  layoutOf = view.machine;
  lastTrace = undefined;
  $('machine-version').textContent = `version ${layout.version}`;
  $('machine-json').href = `/machines/${encodeURIComponent(view.machine)}`;
}

async function renderStats() {
  const stats = await getJson(`/machines/${encodeURIComponent(view.machine)}/stats`);
  const unknown = chart.setStats(stats);
  chart.select(view.state);
  $('total').textContent = `${stats.total} sagas`;
  const versions = Object.entries(stats.byVersion ?? {}).sort(([a], [b]) => Number(a) - Number(b));
  $('by-version').textContent = versions.map(([version, count]) => `v${version}: ${count}`).join(' · ');
  $('other-states').hidden = unknown.length === 0;
  $('other-states').textContent = unknown.length === 0 ? '' : `States not in this version's chart: ${unknown.join(', ')}`;
  return Date.parse(stats.asOf);
}

async function renderList(now) {
  const query = new URLSearchParams({ limit: String(PAGE), offset: String(view.offset) });
  if (view.state) query.set('state', view.state);
  if (view.q) query.set('q', view.q);
  const found = await getJson(`/machines/${encodeURIComponent(view.machine)}/sagas?${query}`);
  $('list-title').textContent = view.state ? `Sagas in ${view.state}` : 'All sagas';
  $('clear-state').hidden = !view.state;
  if (document.activeElement !== $('search')) $('search').value = view.q;
  $('sagas').replaceChildren(
    ...found.items.map((saga) =>
      node(
        'tr',
        { 'data-saga-id': saga.orderId, class: saga.orderId === view.saga ? 'selected' : '', onclick: () => writeHash({ saga: saga.orderId }) },
        node(
          'td',
          { title: `${saga.orderId}\n${saga.customerId ?? ''}` },
          node('a', { href: '#', class: 'saga-link', onclick: (e) => e.preventDefault() }, saga.orderId),
          node('div', { class: 'customer muted' }, saga.customerId ?? ''),
        ),
        node(
          'td',
          { class: `status-${saga.status}`, title: saga.machineVersion ? `machine version ${saga.machineVersion}` : '' },
          saga.state,
          saga.machineVersion ? node('small', { class: 'muted', 'data-testid': 'saga-version' }, ` v${saga.machineVersion}`) : null,
          saga.failureReason ? node('div', {}, node('small', {}, saga.failureReason)) : null,
        ),
        node('td', { class: 'num' }, money(saga.total, saga.currency)),
        node('td', { title: saga.updatedAt }, ago(saga.updatedAt, now)),
      ),
    ),
  );
  if (found.items.length === 0) $('sagas').append(node('tr', {}, node('td', { colspan: 4, class: 'muted' }, 'no sagas')));
  const first = found.total === 0 ? 0 : view.offset + 1;
  $('page').textContent = `${first}–${view.offset + found.items.length} of ${found.total}`;
  $('prev').disabled = view.offset === 0;
  $('next').disabled = view.offset + PAGE >= found.total;
}

/** `xstate.after.paymentTimeout.orderSaga.payment` → `paymentTimeout`. */
const delayName = (event) => (event.startsWith('xstate.after.') ? event.split('.')[2] : event);

function stepItem(step, started) {
  const kind = step.transition === null && step.from !== null ? 'ignored' : step.type === 'TimerFired' ? 'timer' : step.from === null ? 'start' : 'reply';
  return node(
    'li',
    { class: `step step-${kind}`, 'data-version': step.version, 'data-event': step.event },
    node('time', { datetime: step.occurredAt, title: step.occurredAt }, clock(step.occurredAt), node('small', {}, ` +${((Date.parse(step.occurredAt) - started) / 1000).toFixed(3)}s`)),
    node(
      'div',
      { class: 'step-body' },
      node('div', {}, node('span', { class: 'version' }, `v${step.version}`), ' ', node('strong', { class: 'event' }, step.type === 'TimerFired' ? `TimerFired · ${delayName(step.event)}` : step.type)),
      node('div', { class: 'move' }, step.from === null ? `start → ${step.to}` : `${step.from} → ${step.to}`),
      step.commands.length > 0 ? node('ul', { class: 'commands' }, step.commands.map((c) => node('li', { title: `${c.topic} · ${c.messageId}` }, `→ ${c.type}`))) : null,
      step.timersArmed.length > 0 ? node('ul', { class: 'timers' }, step.timersArmed.map((t) => node('li', { title: t.timerId }, `timer ${delayName(t.event)} due ${clock(t.dueAt)}`))) : null,
      step.timersCancelled.length > 0 ? node('ul', { class: 'timers' }, step.timersCancelled.map((id) => node('li', { title: id }, `timer ${delayName(id)} cancelled`))) : null,
      node('details', {}, node('summary', {}, 'data'), node('pre', {}, JSON.stringify(step.data, null, 2))),
    ),
  );
}

/** What an operator may try on a saga in its state; the server still decides (409 when the saga moved on). */
function actionsFor(trace) {
  if (trace.status !== 'active') return [];
  const leaf = trace.state.split('.').at(-1);
  if (leaf === 'parked') return ['resume', 'cancel'];
  if (/backingoff|backoff|wait/i.test(leaf)) return ['retry', 'cancel'];
  return ['cancel'];
}

/** Asks, then sends the action with the version shown, so that a saga that moved on is refused, not changed. */
async function act(trace, action) {
  const reason = action === 'cancel' ? prompt(`Cancel saga ${trace.streamId}? Its completed steps are compensated. Why?`) : '';
  if (reason === null || (action === 'cancel' && reason.trim() === '')) return;
  if (action !== 'cancel' && !confirm(`${action} saga ${trace.streamId} (version ${trace.version}, ${trace.state})?`)) return;
  const response = await signIn.fetch(
    `/admin/sagas/${encodeURIComponent(trace.streamId)}/${action}`,
    { accept: 'application/json', 'content-type': 'application/json' },
    // Retry and resume ask no reason; an empty one is refused by the API, so none is sent.
    { method: 'POST', body: JSON.stringify({ ...(reason ? { reason } : {}), expectedVersion: trace.version }) },
  );
  const body = await response.json();
  actionResult = response.ok ? `${action}: now version ${body.version}, ${body.state}` : `${action} refused: ${body.detail}`;
  lastTrace = undefined;
  void render();
}

async function renderSaga() {
  const panel = $('saga');
  if (!view.saga) {
    actionResult = '';
    panel.hidden = true;
    if (lastTrace !== null) chart.trace(null);
    lastTrace = null;
    return;
  }
  const trace = await getJson(`/machines/${encodeURIComponent(view.machine)}/sagas/${encodeURIComponent(view.saga)}`);
  const key = `${trace.streamId}@${trace.version}`;
  if (lastTrace === key) return;
  lastTrace = key;
  chart.trace(trace);
  const started = Date.parse(trace.steps[0]?.occurredAt ?? 0);
  const path = [trace.steps[0]?.to, ...trace.steps.slice(1).filter((s) => s.transition !== null).map((s) => s.to)].filter(Boolean);
  panel.hidden = false;
  panel.replaceChildren(
    node(
      'header',
      {},
      node('h2', {}, 'Saga ', node('code', { 'data-testid': 'saga-id' }, trace.streamId)),
      node('span', { class: `chip status-${trace.status}`, 'data-testid': 'saga-state' }, trace.state),
      node('span', { class: 'muted' }, `v${trace.version} · ${trace.machineId}@${trace.machineVersion}`),
      node('button', { type: 'button', onclick: () => writeHash({ saga: '' }) }, 'close'),
    ),
    node(
      'p',
      { class: 'saga-actions', 'data-testid': 'saga-actions' },
      actionsFor(trace).map((action) => node('button', { type: 'button', 'data-action': action, onclick: () => void act(trace, action).catch(showError) }, action)),
      node('span', { class: 'muted', role: 'status', 'data-testid': 'saga-action-result' }, actionResult),
    ),
    node('p', { class: 'path', 'data-testid': 'saga-path' }, path.join(' → ')),
    node('ol', { class: 'timeline', 'data-testid': 'timeline' }, trace.steps.map((step) => stepItem(step, started))),
  );
}

async function render() {
  clearTimeout(timer);
  try {
    if (!view.machine) await loadMachines();
    await ensureChart();
    const now = await renderStats();
    await Promise.all([renderList(now), renderSaga()]);
    $('refreshed').textContent = `updated ${new Date(now).toISOString().slice(11, 19)}Z`;
    document.body.dataset.ready = 'true';
    showError(null);
  } catch (error) {
    if (error instanceof SignInNeeded) return;
    console.error(error);
    showError(error);
  }
  if (!paused && refreshMs > 0) timer = setTimeout(render, refreshMs);
}

/** Shows the dashboard with the stored key, or the sign-in form when there is none. */
async function start() {
  if (!signIn.ready()) return;
  try {
    await loadMachines();
  } catch (error) {
    if (!(error instanceof SignInNeeded)) showError(error);
    return;
  }
  await render();
}

/** The definition needs the key too, so the link fetches it and opens what it got. */
async function openDefinition(event) {
  event.preventDefault();
  try {
    const definition = await getJson(`/machines/${encodeURIComponent(view.machine)}`);
    const url = URL.createObjectURL(new Blob([JSON.stringify(definition, null, 2)], { type: 'application/json' }));
    window.open(url, '_blank');
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    if (!(error instanceof SignInNeeded)) showError(error);
  }
}

function wire() {
  $('machine-json').addEventListener('click', openDefinition);
  $('machine').addEventListener('change', (e) => writeHash({ machine: e.target.value, state: '', saga: '', offset: 0 }));
  $('clear-state').addEventListener('click', () => writeHash({ state: '', offset: 0 }));
  $('prev').addEventListener('click', () => writeHash({ offset: Math.max(0, view.offset - PAGE) }));
  $('next').addEventListener('click', () => writeHash({ offset: view.offset + PAGE }));
  let typing;
  $('search').addEventListener('input', (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => writeHash({ q: e.target.value.trim(), offset: 0 }), 250);
  });
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'resume' : 'pause';
    if (!paused) void render();
    else clearTimeout(timer);
  });
  window.addEventListener('hashchange', () => {
    readHash();
    void render();
  });
}

const signIn = createSignIn({
  onSignedIn() {
    // Another key may see other machines: list them again and redraw.
    view.machine = new URLSearchParams(location.hash.slice(1)).get('machine') ?? '';
    layoutOf = '';
    void start();
  },
  onSignedOut() {
    clearTimeout(timer);
    showError(null);
  },
});
readHash();
wire();
void start();
