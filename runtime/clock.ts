/** Where the runtime (never a machine) reads the time; tests inject a manual one. */
export type Clock = Readonly<{ now(): number }>;

export const systemClock: Clock = { now: () => Date.now() };

export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
