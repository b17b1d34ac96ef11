import { expect } from 'vitest';
import { runSagasCommand } from '../../app/commands/sagas.ts';
import type { System } from '../../app/system.ts';
import type { OrderView } from '../../orders/orderView.ts';
import type { TestApiKey } from './apiKeys.ts';
import { eventually } from './eventually.ts';
import { placeOrderBody, shippingAddress } from './orderRequests.ts';
import type { TestClock } from './testClock.ts';

/** Where the scenarios' test clocks start, and how long their warehouse refuses releases. */
export const START = Date.parse('2030-01-01T00:00:00.000Z');
export const TEN_MINUTES = 10 * 60_000;
/** Room for a saga to settle on a busy machine, consumer groups joining included (production mode). */
export const SETTLE_MS = 60_000;

/** An order whose shipment fails, so that its stock must be released, by a warehouse that refuses releases until `downUntil`. */
export async function placeStuckOrder(system: System, downUntil: number): Promise<string> {
  const body = placeOrderBody({ items: [{ sku: `SKU-STUCK-${downUntil / 1000}`, quantity: 1, unitPrice: 1000 }], shippingAddress: shippingAddress({ country: 'ZZ' }) });
  return (await system.orders.placeOrder(body)).orderId;
}

export const viewOf = async (system: System, orderId: string) => (await system.adapters.readModel.get(orderId)) as OrderView;
export const releasesOf = async (system: System, orderId: string) =>
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
  }, { timeoutMs: SETTLE_MS });
}

/** Moves the clock to the next due timer and fires it, until the saga leaves `while` or the clock passes `until`. */
export async function runTimers(system: System, clock: TestClock, orderId: string, keepGoing: (view: OrderView) => boolean, until: number): Promise<OrderView> {
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

/**
 * A compensation that keeps failing parks past its limit (the system runs with
 * XSAGA_PARK_AFTER_ATTEMPTS=3 on `clock`), is listed for a human, refuses what does not fit, and
 * completes once an operator resumes it: over HTTP and from the CLI, on whatever adapters `system` has.
 */
export async function parkAndResume(system: System, url: string, clock: TestClock, keys: Readonly<{ viewer: TestApiKey; operator: TestApiKey }>): Promise<void> {
  const { viewer, operator } = keys;
    const downUntil = START + TEN_MINUTES;
    const orderId = await placeStuckOrder(system, downUntil);
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: SETTLE_MS });
    const parked = await runTimers(system, clock, orderId, (v) => !v.state.endsWith('parked'), START + TEN_MINUTES);
    expect(parked).toMatchObject({ status: 'PENDING', state: 'compensating.releasingStock.parked', attention: { reason: 'COMPENSATION_PARKED', attempts: 3, lastError: 'WAREHOUSE_DOWN' } });
    expect(parked.attention!.since).toBe(parked.updatedAt);

    const call = (path: string, key: typeof viewer, init: RequestInit = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { ...key.headers, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
    // Search is near-real-time in Elasticsearch: the list shows the parked saga within a refresh.
    await eventually(async () => {
      const listed = (await (await call('/admin/sagas?attention=true', viewer)).json()) as { total: number; items: { orderId: string; machine: string }[] };
      expect(listed).toMatchObject({ total: 1, items: [{ orderId, machine: 'orderSaga' }] });
    }, { timeoutMs: SETTLE_MS });
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
    await eventually(async () => expect(await viewOf(system, orderId)).toMatchObject({ status: 'FAILED', failureReason: 'UNDELIVERABLE', attention: null }), { timeoutMs: SETTLE_MS });

    // The action is a fact of the saga's own stream: who, when, why, which.
    const history = (await (await call(`/orders/${orderId}/history`, viewer)).json()) as { events: { type: string; data: unknown; metadata: { occurredAt: string } }[] };
    const action = history.events.find((e) => e.type === 'ResumeRequested')!;
    expect(action).toMatchObject({ data: { operator: operator.name, reason: 'warehouse is back' }, metadata: { occurredAt: new Date(downUntil).toISOString() } });
    await eventually(async () => expect((await (await call('/admin/sagas?attention=true', viewer)).json()) as object).toMatchObject({ total: 0 }), { timeoutMs: SETTLE_MS });
  }
