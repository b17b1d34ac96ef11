import type { Clock } from '../../runtime/clock.ts';

/** A clock a test moves by hand: durable timers fall due only when it says so. */
export type TestClock = Clock & Readonly<{ set(ms: number): void; advance(ms: number): void }>;

export function testClock(startMs: number): TestClock {
  let now = startMs;
  return {
    now: () => now,
    set(ms) {
      if (ms < now) throw new Error(`a test clock does not go back (${new Date(ms).toISOString()} < ${new Date(now).toISOString()})`);
      now = ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}
