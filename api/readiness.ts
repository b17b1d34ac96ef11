import { withDeadline } from '../runtime/deadline.ts';

/** A check per dependency the process needs to serve, by name (`eventStore`, `readModel`): resolves when it can. */
export type ReadinessChecks = Readonly<Record<string, () => Promise<void>>>;

export type Readiness = Readonly<{ ready: boolean; checks: Readonly<Record<string, 'ok' | 'down'>> }>;

/**
 * Runs every check at once, each bounded by `timeoutMs`: a dependency that hangs is down, and the
 * answer never waits longer than the slowest bound.
 */
export async function checkReadiness(checks: ReadinessChecks, timeoutMs: number): Promise<Readiness> {
  const names = Object.keys(checks);
  const outcomes = await Promise.allSettled(names.map((name) => withDeadline(checks[name]!, timeoutMs, () => new Error(`${name}: no answer within ${timeoutMs} ms`))));
  const states = Object.fromEntries(names.map((name, i) => [name, outcomes[i]!.status === 'fulfilled' ? 'ok' : 'down'] as const));
  return { ready: outcomes.every((outcome) => outcome.status === 'fulfilled'), checks: states };
}
