import { afterEach, describe, expect, it } from 'vitest';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import type { System, SystemAdapters } from '../../app/system.ts';
import type { Envelope } from '../../runtime/message.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { testClock } from '../support/testClock.ts';

const PAYMENT_TIMEOUT_MS = 60_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/**
 * A bus that counts every message it publishes by id and, once `holdNextPayment` is called, holds
 * back the next publish of a payment command until `release` is called: that order's rows stay
 * committed and unpublished, as a writer's rows are while its publish is on the way. The store
 * tells whether the relay looked at the outbox, and whether it did after the timers due once the
 * clock moved were fired.
 */
function instrumented(adapters: SystemAdapters) {
  const published = new Map<string, number>();
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding = false;
  let held = false;
  let clockMoved = false;
  let fired = false;
  let swept = false;
  let sweptAfterFiring = false;
  const holds = (envelopes: readonly Envelope[]) => holding && !held && envelopes.some((e) => e.message.type === 'CapturePayment');
  const wrapped: SystemAdapters = {
    ...adapters,
    bus: {
      ...adapters.bus,
      async publish(envelopes) {
        if (holds(envelopes)) {
          held = true;
          await released;
        }
        await adapters.bus.publish(envelopes);
        for (const { message } of envelopes) published.set(message.metadata.messageId, (published.get(message.metadata.messageId) ?? 0) + 1);
      },
    },
    store: {
      ...adapters.store,
      async fireDueTimers(...args) {
        const due = clockMoved;
        const result = await adapters.store.fireDueTimers(...args);
        if (due) fired = true;
        return result;
      },
      async pendingOutbox(...args) {
        const afterFiring = fired;
        const result = await adapters.store.pendingOutbox(...args);
        swept = true;
        if (afterFiring) sweptAfterFiring = true;
        return result;
      },
    },
  };
  return {
    wrapped,
    published,
    release,
    holdNextPayment: () => (holding = true),
    moveClock: (move: () => void) => {
      clockMoved = true;
      move();
    },
    isHeld: () => held,
    swept: () => swept,
    sweptAfterFiring: () => sweptAfterFiring,
  };
}

describe('a fired timer and the writers publishing at that moment', { timeout: 120_000 }, () => {
  it("publishes a writer's rows once, though a timer fires while they are on their way", async () => {
    const clock = testClock(Date.UTC(2026, 0, 1));
    let instruments!: ReturnType<typeof instrumented>;
    const system: System = await startEmbedded(
      { XSAGA_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS) },
      { clock, wrap: (adapters) => (instruments = instrumented(adapters)).wrapped },
    );
    cleanups.push(() => system.stop());

    // The relay's first round publishes every pending row, whoever wrote it: the orders come after it.
    await eventually(() => expect(instruments.swept()).toBe(true), { timeoutMs: 30_000 });
    // Its payment never answers: its deadline is the timer that fires.
    const waiting = await system.orders.placeOrder({ ...orderRequestFor(1, scenarioFor(0)), paymentToken: 'tok_no_answer' });
    await system.relay.idle();
    // The next order's writer commits and starts publishing, and its publish is held on the way.
    instruments.holdNextPayment();
    const held = await system.orders.placeOrder(orderRequestFor(2, scenarioFor(0)));
    await eventually(() => expect(instruments.isHeld()).toBe(true));

    instruments.moveClock(() => clock.advance(PAYMENT_TIMEOUT_MS + 1));
    // The relay has looked at the outbox since the timer fired: whatever it would publish, it has.
    await eventually(() => expect(instruments.sweptAfterFiring()).toBe(true), { timeoutMs: 30_000 });
    instruments.release();
    const timerMessage = (id: string) => id.startsWith(`timer/${waiting.orderId}/`);
    await eventually(() => expect([...instruments.published.keys()].filter(timerMessage)).toHaveLength(1), { timeoutMs: 30_000 });
    await system.relay.idle();

    const heldPayment = [...instruments.published.keys()].filter((id) => id.includes(held.orderId));
    expect(heldPayment.length).toBeGreaterThan(0);
    expect([...instruments.published].filter(([, times]) => times > 1).map(([id]) => id)).toEqual([]);
  });
});
