import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatechartLayout } from '../../api/machines/statechartLayout.ts';
import type { SagaTrace } from '../../api/machines/sagaTrace.ts';
import { exportMachine } from '../../api/machines/exportMachine.ts';
import { hostedMachines } from '../../app/commands/export.ts';
import type { System } from '../../app/system.ts';
import type { OrderSearchResult } from '../../orders/orderReadModel.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, shippingAddress } from '../support/orderRequests.ts';

type Stats = Readonly<{ machineId: string; asOf: string; total: number; byVersion: Record<string, number>; states: { state: string; count: number; oldestUpdatedAt: string; oldestAgeMs: number }[] }>;

let system: System;
let url: string;
const ids: Record<string, string> = {};
/** Everything under /machines needs a viewer key (test/unit/access.unit.test.ts checks who may call what). */
const viewer = testApiKey('viewer');
const fetchAsViewer = (path: string): Promise<Response> => fetch(`${url}${path}`, { headers: viewer.headers });

async function get<T>(path: string): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetchAsViewer(path);
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

beforeAll(async () => {
  // A short deadline: the order whose payment never answers times out, so every order settles. Not
  // too short: the flaky payment's retries must fit inside it on a machine busy with other test files.
  system = await startEmbedded({ XSAGA_PAYMENT_TIMEOUT_MS: '2000', ...apiKeysEnv(viewer) });
  url = await system.listen(0);
  const bodies = {
    good: placeOrderBody(),
    flaky: placeOrderBody({ paymentToken: 'tok_flaky' }),
    timeout: placeOrderBody({ paymentToken: 'tok_no_answer' }),
    undeliverable: placeOrderBody({ shippingAddress: shippingAddress({ country: 'ZZ' }) }),
  };
  for (const [name, body] of Object.entries(bodies)) ids[name] = (await system.orders.placeOrder(body)).orderId;
  await eventually(async () => {
    const { body } = await get<Stats>('/machines/orderSaga/stats');
    expect(body.states.map((s) => [s.state, s.count])).toEqual([
      ['completed', 2],
      ['failed', 2],
    ]);
  }, { timeoutMs: 15_000 });
});

afterAll(async () => {
  await system?.stop();
});

describe('GET /machines and /machines/:id', () => {
  it('lists the hosted machines with their versions', async () => {
    const { status, body } = await get<{ machines: { id: string; version: number; versions: number[]; hasReadModel: boolean }[] }>('/machines');
    expect(status).toBe(200);
    expect(body.machines).toEqual([
      { id: 'orderSaga', version: 2, versions: [1, 2], hasReadModel: true },
      { id: 'returnSaga', version: 1, versions: [1], hasReadModel: true },
    ]);
    expect(body.machines.map((m) => m.id)).toEqual([...new Set(hostedMachines().all().map((d) => d.machine.id))]);
  });

  it('serves the definition as JSON, with its version in a header', async () => {
    const { status, body, headers } = await get<unknown>('/machines/orderSaga');
    expect(status).toBe(200);
    expect(headers.get('xsaga-machine-version')).toBe('2');
    expect(body).toEqual(exportMachine(system.definition.machine));
    expect((await get<unknown>('/machines/orderSaga?version=2')).body).toEqual(body);
  });

  it('serves every registered version: v1 as it always was, v2 with the fraud review', async () => {
    const v1 = await get<Record<string, unknown>>('/machines/orderSaga?version=1');
    expect(v1.headers.get('xsaga-machine-version')).toBe('1');
    expect(v1.body).toEqual(JSON.parse(readFileSync(new URL('../fixtures/orderSagaV1.json', import.meta.url), 'utf8')));
    const v2 = await get<{ states: Record<string, unknown> }>('/machines/orderSaga?version=2');
    expect(Object.keys(v2.body.states)).toContain('fraudReview');
    expect(Object.keys(v1.body.states as object)).not.toContain('fraudReview');
  });

  it.each(['/machines/nope', '/machines/orderSaga?version=7', '/machines/nope/layout', '/machines/orderSaga/sagas/no-such-saga'])('answers %s with a 404 problem', async (path) => {
    const response = await fetchAsViewer(path);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers a saga id with a NUL with a 400 problem naming sagaId, not 500', async () => {
    const response = await fetchAsViewer(`/machines/orderSaga/sagas/a%00b`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['sagaId']);
  });

  it('refuses a version or a limit that is not a whole number with a 400 problem', async () => {
    expect((await fetchAsViewer('/machines/orderSaga?version=x')).status).toBe(400);
    expect((await fetchAsViewer('/machines/orderSaga/sagas?limit=-1')).status).toBe(400);
    // Read as 10 and 1 before: only decimal digits are a whole number here.
    expect((await fetchAsViewer('/machines/orderSaga?version=1e1')).status).toBe(400);
    expect((await fetchAsViewer('/machines/orderSaga?version=1.0')).status).toBe(400);
  });
});

describe('GET /machines/:id/layout', () => {
  it('places every state inside its parent and draws every transition with its label', async () => {
    const { body: layout } = await get<StatechartLayout & { version: number }>('/machines/orderSaga/layout?version=1');
    expect(layout.version).toBe(1);
    const byId = new Map(layout.states.map((s) => [s.id, s]));
    expect(layout.states.map((s) => s.name).sort()).toEqual(
      [
        ...['', 'payment', 'payment.capturing', 'payment.backingOff', 'inventory', 'inventory.reserving', 'inventory.backingOff'],
        ...['shipping', 'shipping.creating', 'shipping.backingOff', 'compensating', 'completed', 'failed'],
        ...['releasingStock.releasing', 'releasingStock.backingOff', 'releasingStock.parked', 'releasingStock'].map((s) => `compensating.${s}`),
        ...['refundingPayment.refunding', 'refundingPayment.backingOff', 'refundingPayment.parked', 'refundingPayment'].map((s) => `compensating.${s}`),
      ].sort(),
    );
    for (const state of layout.states) {
      expect(state.box.width).toBeGreaterThan(0);
      if (state.parent === null) continue;
      const parent = byId.get(state.parent)!.box;
      expect(state.box.x).toBeGreaterThanOrEqual(parent.x);
      expect(state.box.y).toBeGreaterThanOrEqual(parent.y);
      expect(state.box.x + state.box.width).toBeLessThanOrEqual(parent.x + parent.width);
      expect(state.box.y + state.box.height).toBeLessThanOrEqual(parent.y + parent.height);
    }
    expect(layout.transitions).toHaveLength(31);
    const drawn = layout.edges.filter((e) => e.transition !== null);
    expect(new Set(drawn.map((e) => e.transition))).toEqual(new Set(layout.transitions.map((t) => t.id)));
    for (const edge of drawn) {
      expect(edge.points.length).toBeGreaterThanOrEqual(2);
      expect(edge.label?.lines.join('')).toBeTruthy();
    }
    const kinds = Object.fromEntries(layout.transitions.map((t) => [t.id, t.kind]));
    expect(kinds['orderSaga.payment#PaymentCaptured#0']).toBe('forward');
    expect(kinds['orderSaga.payment#PaymentFailed#0']).toBe('failure');
    // Into the wait before the next attempt, and out of it again, by its timer or an operator.
    expect(kinds['orderSaga.payment.capturing#PaymentFailed#0']).toBe('retry');
    expect(kinds['orderSaga.payment.backingOff#xstate.after.retryBackoff.orderSaga.payment.backingOff#0']).toBe('retry');
    expect(kinds['orderSaga.payment.backingOff#RetryRequested#0']).toBe('retry');
    expect(layout.states.filter((s) => s.attention).map((s) => s.name).sort()).toEqual(['compensating.refundingPayment.parked', 'compensating.releasingStock.parked']);
    expect(kinds['orderSaga.payment#xstate.after.paymentTimeout.orderSaga.payment#0']).toBe('compensation');
    expect(kinds['orderSaga.shipping.creating#ShipmentFailed#1']).toBe('compensation');
    // An initial arrow into every compound state's first child.
    expect(layout.edges.filter((e) => e.kind === 'initial').map((e) => e.target).sort()).toEqual(
      [
        'orderSaga.payment',
        'orderSaga.payment.capturing',
        'orderSaga.inventory.reserving',
        'orderSaga.shipping.creating',
        'orderSaga.compensating.releasingStock',
        'orderSaga.compensating.releasingStock.releasing',
        'orderSaga.compensating.refundingPayment.refunding',
      ].sort(),
    );
  });
});

describe('GET /machines/:id/stats and /sagas', () => {
  it('gives count and age of the oldest saga per state, agreeing with /stats/orders', async () => {
    const { body } = await get<Stats>('/machines/orderSaga/stats');
    const orders = await get<{ byState: Record<string, number> }>('/stats/orders');
    expect(Object.fromEntries(body.states.map((s) => [s.state, s.count]))).toEqual(orders.body.byState);
    expect(body.total).toBe(4);
    // Every order here started after v2 was registered; the v1 orders of a deploy are counted in test/unit/orderSagaVersions.unit.test.ts.
    expect(body.byVersion).toEqual({ 2: 4 });
    for (const state of body.states) {
      expect(state.oldestAgeMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(body.asOf) - Date.parse(state.oldestUpdatedAt)).toBe(state.oldestAgeMs);
    }
  });

  it('lists the sagas in a state, paged and searchable', async () => {
    const page1 = await get<OrderSearchResult>('/machines/orderSaga/sagas?state=failed&limit=1');
    const page2 = await get<OrderSearchResult>('/machines/orderSaga/sagas?state=failed&limit=1&offset=1');
    expect([page1.body.total, page2.body.total]).toEqual([2, 2]);
    expect([...page1.body.items, ...page2.body.items].map((v) => v.orderId).sort()).toEqual([ids.timeout, ids.undeliverable].sort());
    const found = await get<OrderSearchResult>(`/machines/orderSaga/sagas?state=completed&q=${ids.flaky}`);
    expect(found.body.items.map((v) => v.orderId)).toEqual([ids.flaky]);
  });
});

describe('GET /machines/:id/sagas/:sagaId', () => {
  it('traces a compensated saga: path, transitions taken, commands and timers per event', async () => {
    const { status, body } = await get<SagaTrace>(`/machines/orderSaga/sagas/${ids.undeliverable}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ streamId: ids.undeliverable, machineId: 'orderSaga', machineVersion: 2, version: 6, state: 'failed', status: 'done' });
    expect(body.steps.map((s) => [s.type, s.from, s.to])).toEqual([
      ['OrderPlaced', null, 'payment.capturing'],
      ['PaymentCaptured', 'payment.capturing', 'inventory.reserving'],
      ['StockReserved', 'inventory.reserving', 'shipping.creating'],
      ['ShipmentFailed', 'shipping.creating', 'compensating.releasingStock.releasing'],
      ['StockReleased', 'compensating.releasingStock.releasing', 'compensating.refundingPayment.refunding'],
      ['PaymentRefunded', 'compensating.refundingPayment.refunding', 'failed'],
    ]);
    expect(body.steps.map((s) => s.commands.map((c) => c.type))).toEqual([['CapturePayment'], ['ReserveStock'], ['CreateShipment'], ['ReleaseStock'], ['RefundPayment'], []]);
    // The ids the runtime gave these commands in the outbox.
    expect(body.steps[0]!.commands[0]!.messageId).toBe(`${ids.undeliverable}/1/0`);
    expect(body.steps[0]!.timersArmed.map((t) => t.event)).toEqual(['xstate.after.paymentTimeout.orderSaga.payment']);
    expect(body.steps[1]!.timersCancelled).toEqual(['xstate.after.paymentTimeout.orderSaga.payment']);
    expect(body.takenTransitions).toEqual([
      // v2's second candidate: the capture is below the fraud review's threshold.
      'orderSaga.payment#PaymentCaptured#1',
      'orderSaga.inventory#StockReserved#0',
      'orderSaga.shipping.creating#ShipmentFailed#1',
      'orderSaga.compensating.releasingStock#StockReleased#0',
      'orderSaga.compensating.refundingPayment#PaymentRefunded#0',
    ]);
    // Each compound state it entered, entered by its initial child.
    expect([...body.initialEntries].sort()).toEqual(
      [
        'orderSaga.payment',
        'orderSaga.payment.capturing',
        'orderSaga.inventory.reserving',
        'orderSaga.shipping.creating',
        'orderSaga.compensating.releasingStock.releasing',
        'orderSaga.compensating.refundingPayment.refunding',
      ].sort(),
    );
    expect(body.visitedStates).toContain('orderSaga.compensating');
    expect(body.visitedStates).not.toContain('orderSaga.completed');
  });

  it('masks the payment token in the events and the commands it shows', async () => {
    const text = await (await fetchAsViewer(`/machines/orderSaga/sagas/${ids.flaky}`)).text();
    expect(text).not.toContain('tok_flaky');
    const trace = JSON.parse(text) as SagaTrace;
    expect(trace.steps[0]!.data).toMatchObject({ order: { paymentToken: 'tok_****' } });
    expect(trace.steps[2]!.commands[0]).toMatchObject({ type: 'CapturePayment', data: { paymentToken: 'tok_****' } });
  });

  it('traces retries through their wait, and a fired deadline as the delayed transition', async () => {
    const flaky = (await get<SagaTrace>(`/machines/orderSaga/sagas/${ids.flaky}`)).body;
    const backoff = 'xstate.after.retryBackoff.orderSaga.payment.backingOff';
    expect(flaky.steps.slice(1, 5).map((s) => s.transition)).toEqual([
      'orderSaga.payment.capturing#PaymentFailed#0',
      `orderSaga.payment.backingOff#${backoff}#0`,
      'orderSaga.payment.capturing#PaymentFailed#0',
      `orderSaga.payment.backingOff#${backoff}#0`,
    ]);
    expect(flaky.steps.slice(1, 5).map((s) => s.commands.map((c) => c.type))).toEqual([[], ['CapturePayment'], [], ['CapturePayment']]);
    expect(flaky.steps[1]!.timersArmed.map((t) => t.event)).toEqual([backoff]);
    const timedOut = (await get<SagaTrace>(`/machines/orderSaga/sagas/${ids.timeout}`)).body;
    expect(timedOut.steps.map((s) => [s.type, s.event, s.to])).toEqual([
      ['OrderPlaced', 'OrderPlaced', 'payment.capturing'],
      ['TimerFired', 'xstate.after.paymentTimeout.orderSaga.payment', 'compensating.refundingPayment.refunding'],
      ['PaymentRefunded', 'PaymentRefunded', 'failed'],
    ]);
    expect(timedOut.steps[1]!.transition).toBe('orderSaga.payment#xstate.after.paymentTimeout.orderSaga.payment#0');
  });
});

describe('GET /ui/', () => {
  it('serves the page and its modules without a key, from this server only, under a policy that forbids anything else', async () => {
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const page = await fetch(`${url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const asset of ['dashboard.js', 'signIn.js', 'statechart.js', 'dashboard.css']) {
      const response = await fetch(`${url}/ui/${asset}`);
      expect(response.status, asset).toBe(200);
      expect(await response.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
    expect((await fetch(`${url}/ui/dashboard.js`)).headers.get('content-type')).toMatch(/javascript/);
  });
});
