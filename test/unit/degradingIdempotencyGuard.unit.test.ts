import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyGuard } from '../../adapters/memory/memoryIdempotencyGuard.ts';
import { degradingIdempotencyGuard } from '../../runtime/degradingIdempotencyGuard.ts';
import type { IdempotencyGuard } from '../../runtime/idempotencyGuard.ts';
import { idempotencyGuardContract } from '../contracts/idempotencyGuardContract.ts';
import { capturingLogger } from '../support/capturingLogger.ts';

/** A guard whose store can be taken away; it counts the calls that reached the store. */
function storeThatCanFail() {
  const inner = createMemoryIdempotencyGuard();
  const state = { down: false, calls: 0 };
  const reach = async <T>(call: () => Promise<T>): Promise<T> => {
    state.calls += 1;
    if (state.down) throw new Error('connect ECONNREFUSED');
    return call();
  };
  const guard: IdempotencyGuard = {
    recall: (key) => reach(() => inner.recall(key)),
    remember: (key, outcome, ttlMs) => reach(() => inner.remember(key, outcome, ttlMs)),
    close: () => inner.close(),
  };
  return { guard, state };
}

idempotencyGuardContract('degrading, over a store that works', async () => ({
  guard: degradingIdempotencyGuard(createMemoryIdempotencyGuard()),
  expire: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

describe('a degrading idempotency guard', () => {
  it('answers "not known" while its store fails, leaves it alone for a while, then asks it again', async () => {
    let now = 1_000;
    const { logger, lines } = capturingLogger();
    const { guard: store, state } = storeThatCanFail();
    const guard = degradingIdempotencyGuard(store, { retryAfterMs: 2_000, clock: { now: () => now }, logger });
    expect(await guard.remember('op', 'done', 60_000)).toBe(true);
    expect(await guard.recall('op')).toBe('done');

    state.down = true;
    const callsBefore = state.calls;
    expect(await guard.recall('op')).toBeUndefined();
    expect(await guard.remember('other', 'done', 60_000)).toBe(false);
    expect(state.calls).toBe(callsBefore + 1);
    now += 1_999;
    expect(await guard.recall('op')).toBeUndefined();
    expect(state.calls).toBe(callsBefore + 1);

    now += 1;
    expect(await guard.recall('op')).toBeUndefined();
    expect(state.calls).toBe(callsBefore + 2);

    state.down = false;
    now += 2_000;
    expect(await guard.recall('op')).toBe('done');
    expect(await guard.remember('other', 'done', 60_000)).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: expect.stringMatching(/failed.*own tables answer/), fields: { err: new Error('connect ECONNREFUSED') } });
    expect(lines[1]).toMatchObject({ level: 'info', msg: expect.stringMatching(/answers again/) });
  });

  it('tells of an outage once, however many calls fail in it', async () => {
    let now = 0;
    const { logger, lines } = capturingLogger();
    const { guard: store, state } = storeThatCanFail();
    const guard = degradingIdempotencyGuard(store, { retryAfterMs: 10, clock: { now: () => now }, logger });
    state.down = true;
    for (let i = 0; i < 5; i++) {
      await Promise.all([guard.recall('a'), guard.recall('b'), guard.remember('c', 'x', 1_000)]);
      now += 10;
    }
    expect(state.calls).toBeGreaterThanOrEqual(5);
    expect(lines).toHaveLength(1);
  });
});
