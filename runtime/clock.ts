/**
 * Where the runtime (never a machine) reads the time. A clock that can be moved (a test clock)
 * also tells who listens when it moves, so that the timer scheduler looks for due timers at once.
 */
export type Clock = Readonly<{ now(): number; onMoved?(listener: () => void): () => void }>;

export const systemClock: Clock = { now: () => Date.now() };

export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
