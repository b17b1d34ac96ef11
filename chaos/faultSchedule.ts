/** Every fault the chaos run knows how to inject. */
export const FAULT_KINDS = [
  'kill-worker',
  'kill-participants',
  'kill-projector',
  'kill-relay-leader',
  'kill-api',
  'restart-kafka',
  'restart-postgres',
  'restart-redis',
  'stop-elasticsearch',
  'pause-worker',
  'pause-relay-leader',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export type ScheduledFault = Readonly<{ kind: FaultKind; atMs: number }>;

export type ScheduleOptions = Readonly<{
  kinds: readonly FaultKind[];
  /** How many times each kind is injected. */
  repeats: number;
  durationMs: number;
  /** No fault in the first and last stretch of the run: throughput and latency before and after faults. */
  quietStartMs: number;
  quietEndMs: number;
}>;

/**
 * Spreads `repeats` rounds of every kind evenly over the run, kinds interleaved round-robin so that
 * two faults of one kind are as far apart as the run allows: an outage of a server has ended well
 * before the same server is faulted again, while faults of different servers may overlap.
 */
export function faultSchedule(options: ScheduleOptions): ScheduledFault[] {
  const { kinds, repeats, durationMs, quietStartMs, quietEndMs } = options;
  if (kinds.length === 0 || repeats < 1) return [];
  const window = durationMs - quietStartMs - quietEndMs;
  if (window <= 0) throw new Error(`a ${durationMs} ms run leaves no time for faults after ${quietStartMs} ms quiet start and ${quietEndMs} ms quiet end`);
  const count = kinds.length * repeats;
  const spacing = window / count;
  return Array.from({ length: count }, (_, i) => ({ kind: kinds[i % kinds.length]!, atMs: Math.round(quietStartMs + i * spacing) }));
}

/** Parses `--faults a,b,…` (or `all`), naming what is unknown. */
export function parseFaultKinds(text: string): FaultKind[] {
  if (text.trim() === 'all') return [...FAULT_KINDS];
  const kinds = text.split(',').map((kind) => kind.trim()).filter(Boolean);
  const unknown = kinds.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0 || kinds.length === 0) throw new Error(`--faults must be "all" or a comma-separated list of ${FAULT_KINDS.join(', ')}; unknown: ${unknown.join(', ') || '(none given)'}`);
  return [...new Set(kinds)] as FaultKind[];
}
