import type { Clock } from './clock.ts';

/**
 * A clock moved by hand, for tests of sagas that wait days (a 14-day parcel deadline, a 48-hour
 * approval): hand it to the system and move it; timers due by then fire at once, without waiting.
 */
export type TestClock = Clock & Readonly<{ set(ms: number): void; advance(ms: number): void }>;

export function testClock(startMs: number): TestClock {
  let now = startMs;
  const listeners = new Set<() => void>();
  const moved = () => {
    for (const listener of listeners) listener();
  };
  return {
    now: () => now,
    set(ms) {
      if (ms < now) throw new Error(`a test clock does not go back (${new Date(ms).toISOString()} < ${new Date(now).toISOString()})`);
      now = ms;
      moved();
    },
    advance(ms) {
      if (ms < 0) throw new Error(`a test clock does not go back (advance by ${ms} ms)`);
      now += ms;
      moved();
    },
    onMoved(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
