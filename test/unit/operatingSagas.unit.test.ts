import { afterEach, describe, expect, it } from 'vitest';
import { runSagasCommand } from '../../app/commands/sagas.ts';
import type { System } from '../../app/system.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, shippingAddress } from '../support/orderRequests.ts';
import { testClock, type TestClock } from '../support/testClock.ts';

const START = Date.parse('2030-01-01T00:00:00.000Z');
const TEN_MINUTES = 10 * 60_000;
const viewer = testApiKey('viewer');
const operator = testApiKey('operator');

const running: System[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function start(env: Record<string, string>, clock: TestClock) {
  const system = await startEmbedded({ ...apiKeysEnv(viewer, operator), ...env }, { clock });
  running.push(system);
  return { system, url: await system.listen(0) };
}

/** An order whose shipment fails, so that its stock must be released, by a warehouse that refuses releases until `downUntil`. */
async function placeStuckOrder(system: System, downUntil: number): Promise<string> {
  const body = placeOrderBody({ items: [{ sku: `SKU-STUCK-${downUntil / 1000}`, quantity: 1, unitPrice: 1000 }], shippingAddress: shippingAddress({ country: 'ZZ' }) });
  return (await system.orders.placeOrder(body)).orderId;
}

const viewOf = async (system: System, orderId: string) => (await system.adapters.readModel.get(orderId)) as OrderView;
const releasesOf = async (system: System, orderId: string) =>
  (await system.adapters.sql.query<{ occurred_at: string }>(
    `select message->'metadata'->>'occurredAt' as occurred_at from xsaga_outbox where stream_id = $1 and message->>'type' = 'ReleaseStock' order by id`,
    [orderId],
  )).rows.map((row) => Date.parse(row.occurred_at));

/** Waits until the saga has taken the fired timer and the reply it caused: its stream grew and it rests again. */
async function settled(system: System, orderId: string, version: number): Promise<OrderView> {
  return eventually(async () => {
    const view = await viewOf(system, orderId);
    expect(view.version).toBeGreaterThan(version);
    expect(view.state).not.toBe('compensating.releasingStock.releasing');
    return view;
  }, { timeoutMs: 15_000 });
}

/** Moves the clock to the next due timer and fires it, until the saga leaves `while` or the clock passes `until`. */
async function runTimers(system: System, clock: TestClock, orderId: string, keepGoing: (view: OrderView) => boolean, until: number): Promise<OrderView> {
  let view = await viewOf(system, orderId);
  while (keepGoing(view) && clock.now() <= until) {
    const due = await system.adapters.store.nextTimerDue();
    if (!due) throw new Error(`saga ${orderId} waits in ${view.state} with no timer armed`);
    clock.set(Math.max(clock.now(), Date.parse(due)));
    await system.scheduler.fireDue();
    view = await settled(system, orderId, view.version);
  }
  return view;
}

describe('retries that wait (test clock)', () => {
  it('retries a refused compensation with backoff (about 20 attempts in 10 minutes), then completes it once the participant recovers', async () => {
    const clock = testClock(START);
    const { system } = await start({}, clock);
    const downUntil = START + TEN_MINUTES;
    const orderId = await placeStuckOrder(system, downUntil);
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: 15_000 });

    const view = await runTimers(system, clock, orderId, (v) => v.state.startsWith('compensating.releasingStock'), START + 2 * TEN_MINUTES);
    await eventually(async () => expect(await viewOf(system, orderId)).toMatchObject({ status: 'FAILED', failureReason: 'UNDELIVERABLE', attention: null }), { timeoutMs: 15_000 });

    const releases = await releasesOf(system, orderId);
    const refused = releases.filter((at) => at < downUntil);
    console.log(`retry backoff: ${refused.length} release attempts while the warehouse refused for 10 minutes (defaults: base 200 ms, cap 60 s); compensation completed ${((releases.at(-1)! - downUntil) / 1000).toFixed(1)} s after it recovered`);
    expect(view.state).not.toMatch(/^compensating\.releasingStock/);
    // Full jitter under 200 ms × 2^(n−1), capped at 60 s: ≈ 9 attempts in the first minute, then one per 30 s on average.
    expect(refused.length).toBeGreaterThanOrEqual(12);
    expect(refused.length).toBeLessThanOrEqual(40);
    // Never hot: no two attempts at the same instant, and the waits grow to the cap.
    const waits = refused.slice(1).map((at, i) => at - refused[i]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(60_000);
    expect(Math.max(...waits)).toBeGreaterThan(10_000);
    expect(releases.at(-1)! - downUntil).toBeLessThanOrEqual(60_000);
  });
});

describe('parking and operator actions (test clock)', () => {
  it('parks a compensation past its limit, lists it for a human, refuses what does not fit, and resumes it', async () => {
    const clock = testClock(START);
    const { system, url } = await start({ XSAGA_PARK_AFTER_ATTEMPTS: '3' }, clock);
    const downUntil = START + TEN_MINUTES;
    const orderId = await placeStuckOrder(system, downUntil);
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: 15_000 });
    const parked = await runTimers(system, clock, orderId, (v) => !v.state.endsWith('parked'), START + TEN_MINUTES);
    expect(parked).toMatchObject({ status: 'PENDING', state: 'compensating.releasingStock.parked', attention: { reason: 'COMPENSATION_PARKED', attempts: 3, lastError: 'WAREHOUSE_DOWN' } });
    expect(parked.attention!.since).toBe(parked.updatedAt);

    const call = (path: string, key: typeof viewer, init: RequestInit = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { ...key.headers, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
    const listed = (await (await call('/admin/sagas?attention=true', viewer)).json()) as { total: number; items: { orderId: string; machine: string }[] };
    expect(listed).toMatchObject({ total: 1, items: [{ orderId, machine: 'orderSaga' }] });
    // The same from a terminal: `xsaga sagas list --attention`, and a cancel without a reason refused.
    const printed: string[] = [];
    const cli = (args: string[], key = viewer) => runSagasCommand(args, { env: { XSAGA_URL: url, XSAGA_API_KEY: key.key }, print: (text) => void printed.push(text) });
    expect(await cli(['list', '--attention'])).toBe(0);
    expect(printed.join('\n')).toMatch(new RegExp(`^1 saga\\(s\\)\\norderSaga  ${orderId}  v\\d+  compensating\\.releasingStock\\.parked  updated \\S+  COMPENSATION_PARKED since `));
    expect(await cli(['cancel', orderId], operator)).toBe(1);
    expect(printed.at(-1)).toContain('reason');
    expect(await cli(['resume'], operator)).toBe(2);

    // A viewer may look, not act; a cancel does not fit a compensating saga; a stale version is a clean 409.
    const version = parked.version;
    expect((await call(`/admin/sagas/${orderId}/resume`, viewer, { method: 'POST', body: '{}' })).status).toBe(403);
    const cancel = await call(`/admin/sagas/${orderId}/cancel`, operator, { method: 'POST', body: JSON.stringify({ reason: 'customer asked' }) });
    expect(cancel.status).toBe(409);
    expect(await cancel.json()).toMatchObject({ type: 'urn:xsaga:problem:not-accepted', state: 'compensating.releasingStock.parked', version });
    expect((await call(`/admin/sagas/${orderId}/resume`, operator, { method: 'POST', body: JSON.stringify({ expectedVersion: version - 1 }) })).status).toBe(409);
    expect((await call(`/admin/sagas/${orderId}/cancel`, operator, { method: 'POST', body: '{}' })).status).toBe(400);
    expect((await viewOf(system, orderId)).version).toBe(version);
    expect((await system.adapters.store.readStream(orderId)).length).toBe(version);

    // The warehouse is back; the operator resumes: the release goes out at once and the compensation completes.
    clock.set(downUntil);
    const dryRun = await call('/admin/sagas/resume?dryRun=true', operator, { method: 'POST', body: JSON.stringify({ filter: { attention: true } }) });
    expect(await dryRun.json()).toMatchObject({ dryRun: true, matched: 1, wouldApply: 1 });
    expect((await viewOf(system, orderId)).version).toBe(version);
    const resumed = await call(`/admin/sagas/${orderId}/resume`, operator, { method: 'POST', body: JSON.stringify({ reason: 'warehouse is back', expectedVersion: version }) });
    expect(resumed.status).toBe(202);
    expect(await resumed.json()).toMatchObject({ sagaId: orderId, version: version + 1, state: 'compensating.releasingStock.releasing' });
    await eventually(async () => expect(await viewOf(system, orderId)).toMatchObject({ status: 'FAILED', failureReason: 'UNDELIVERABLE', attention: null }), { timeoutMs: 15_000 });

    // The action is a fact of the saga's own stream: who, when, why, which.
    const history = (await (await call(`/orders/${orderId}/history`, viewer)).json()) as { events: { type: string; data: unknown; metadata: { occurredAt: string } }[] };
    const action = history.events.find((e) => e.type === 'ResumeRequested')!;
    expect(action).toMatchObject({ data: { operator: operator.name, reason: 'warehouse is back' }, metadata: { occurredAt: new Date(downUntil).toISOString() } });
    expect((await (await call('/admin/sagas?attention=true', viewer)).json()) as object).toMatchObject({ total: 0 });
  });

  it('retries a backing-off step at once, and cancels a saga in flight, in bulk with a dry run first', async () => {
    const clock = testClock(START);
    const { system, url } = await start({}, clock);
    const orderId = await placeStuckOrder(system, START + TEN_MINUTES);
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: 15_000 });
    const before = await viewOf(system, orderId);
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { ...operator.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const retried = await post(`/admin/sagas/${orderId}/retry`, { reason: 'try now' });
    expect(retried.status).toBe(202);
    await eventually(async () => expect((await releasesOf(system, orderId)).length).toBe(2), { timeoutMs: 15_000 });
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: 15_000 });
    expect((await viewOf(system, orderId)).attempts.release).toBe(before.attempts.release + 1);

    // An order waiting for a payment that never answers: cancelled in bulk, by state, after a dry run.
    const waiting = (await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId;
    await eventually(async () => expect((await viewOf(system, waiting)).state).toBe('payment.capturing'), { timeoutMs: 15_000 });
    const filter = { state: 'payment.capturing' };
    expect((await (await post('/admin/sagas/cancel?dryRun=true', { filter, reason: 'customer called' })).json()) as object).toMatchObject({ matched: 1, wouldApply: 1 });
    expect((await viewOf(system, waiting)).state).toBe('payment.capturing');
    const bulk = (await (await post('/admin/sagas/cancel', { filter, reason: 'customer called' })).json()) as { applied: number; refused: number };
    expect(bulk).toMatchObject({ applied: 1, refused: 0 });
    await eventually(async () => expect(await viewOf(system, waiting)).toMatchObject({ status: 'FAILED', failureReason: 'CANCELLED' }), { timeoutMs: 15_000 });
    expect((await post('/admin/sagas/cancel', { reason: 'everything' })).status).toBe(400);
  });
});
