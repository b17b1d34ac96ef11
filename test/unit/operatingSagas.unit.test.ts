import { afterEach, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { capturingLogger } from '../support/capturingLogger.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { parkAndResume, placeStuckOrder, releasesOf, runTimers, SETTLE_MS, START, TEN_MINUTES, viewOf } from '../support/parkingScenario.ts';
import { placeOrderBody } from '../support/orderRequests.ts';
import { testClock, type TestClock } from '../support/testClock.ts';
const viewer = testApiKey('viewer');
const operator = testApiKey('operator');

const running: System[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function start(env: Record<string, string>, clock: TestClock, logger = capturingLogger().logger) {
  const system = await startEmbedded({ ...apiKeysEnv(viewer, operator), ...env }, { clock, logger });
  running.push(system);
  return { system, url: await system.listen(0) };
}

describe('retries that wait (test clock)', { timeout: 120_000 }, () => {
  it('retries a refused compensation with backoff (about 20 attempts in 10 minutes), then completes it once the participant recovers', async () => {
    const clock = testClock(START);
    const { system } = await start({}, clock);
    const downUntil = START + TEN_MINUTES;
    const orderId = await placeStuckOrder(system, downUntil);
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: SETTLE_MS });

    const view = await runTimers(system, clock, orderId, (v) => v.state.startsWith('compensating.releasingStock'), START + 2 * TEN_MINUTES);
    await eventually(async () => expect(await viewOf(system, orderId)).toMatchObject({ status: 'FAILED', failureReason: 'UNDELIVERABLE', attention: null }), { timeoutMs: SETTLE_MS });

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

describe('parking and operator actions (test clock)', { timeout: 120_000 }, () => {
  it('parks a compensation past its limit, lists it for a human, refuses what does not fit, and resumes it', async () => {
    const clock = testClock(START);
    const { system, url } = await start({ XSAGA_PARK_AFTER_ATTEMPTS: '3' }, clock);
    await parkAndResume(system, url, clock, { viewer, operator });
  });

  it('retries a backing-off step at once, and cancels a saga in flight, in bulk with a dry run first', async () => {
    const clock = testClock(START);
    const logged = capturingLogger();
    const { system, url } = await start({}, clock, logged.logger);
    const orderId = await placeStuckOrder(system, START + TEN_MINUTES);
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: SETTLE_MS });
    const before = await viewOf(system, orderId);
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { ...operator.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const retried = await post(`/admin/sagas/${orderId}/retry`, { reason: 'try now' });
    expect(retried.status).toBe(202);
    // A human changed a saga's course: the log says who, why, and which saga, at info.
    expect(logged.lines.filter((line) => line.msg === 'operator action applied')).toEqual([
      { level: 'info', msg: 'operator action applied', fields: expect.objectContaining({ sagaId: orderId, machine: expect.stringMatching(/^orderSaga@\d+$/), version: before.version + 1, action: 'retry', operator: operator.name, reason: 'try now' }) },
    ]);
    await eventually(async () => expect((await releasesOf(system, orderId)).length).toBe(2), { timeoutMs: SETTLE_MS });
    await eventually(async () => expect((await viewOf(system, orderId)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: SETTLE_MS });
    expect((await viewOf(system, orderId)).attempts.release).toBe(before.attempts.release + 1);

    // An order waiting for a payment that never answers: cancelled in bulk, by state, after a dry run.
    const waiting = (await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId;
    await eventually(async () => expect((await viewOf(system, waiting)).state).toBe('payment.capturing'), { timeoutMs: SETTLE_MS });
    const filter = { state: 'payment.capturing' };
    expect((await (await post('/admin/sagas/cancel?dryRun=true', { filter, reason: 'customer called' })).json()) as object).toMatchObject({ matched: 1, wouldApply: 1 });
    expect((await viewOf(system, waiting)).state).toBe('payment.capturing');
    const bulk = (await (await post('/admin/sagas/cancel', { filter, reason: 'customer called' })).json()) as { applied: number; refused: number };
    expect(bulk).toMatchObject({ applied: 1, refused: 0 });
    await eventually(async () => expect(await viewOf(system, waiting)).toMatchObject({ status: 'FAILED', failureReason: 'CANCELLED' }), { timeoutMs: SETTLE_MS });
    expect((await post('/admin/sagas/cancel', { reason: 'everything' })).status).toBe(400);
  });
});
