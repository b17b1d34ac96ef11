import type { ScenarioResult } from './benchTypes.ts';

export type Figures = Readonly<{ min: number; median: number; max: number }>;

export const figures = (xs: readonly number[]): Figures => {
  const sorted = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return { min: sorted[0] ?? NaN, median: sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN, max: sorted.at(-1) ?? NaN };
};

/** The systems the headline compares; each has closed-loop rows at several concurrencies. */
export const SYSTEMS = {
  xsaga: 'xsaga production',
  xsagaOneProcess: 'xsaga production, one process',
  baseline: 'raw baseline',
  restate: 'Restate in memory',
  restateSideEffects: 'Restate with side effects',
} as const;

/** The runs of one configuration: a system under one load. */
export type Row = {
  name: string;
  system: string;
  load: 'closed' | 'open' | 'one at a time';
  concurrency?: number;
  runs: ScenarioResult[];
};

const sum = (values: Readonly<Record<string, number>> | undefined) => Object.values(values ?? {}).reduce((a, b) => a + b, 0);

/** CPU seconds per 1,000 sagas is CPU milliseconds per saga: every process of the system plus every server it uses. */
export const allInCpuMsPerSaga = (r: ScenarioResult) => sum(r.cpuSecondsPer1000) + sum(r.serverCpuSecondsPer1000);

export type SummaryRow = ReturnType<typeof summarize>[number];

export function summarize(rows: readonly Row[]) {
  return rows.map((row) => ({
    name: row.name,
    system: row.system,
    load: row.load,
    concurrency: row.concurrency,
    sagasPerSecond: figures(row.runs.map((r) => r.sagasPerSecond)),
    p50: figures(row.runs.map((r) => r.latencyMs.p50)),
    p95: figures(row.runs.map((r) => r.latencyMs.p95)),
    p99: figures(row.runs.map((r) => r.latencyMs.p99)),
    readModelLagP99: figures(row.runs.map((r) => r.readModelLagP99Ms ?? NaN)),
    cpuSecondsPer1000: figures(row.runs.map((r) => sum(r.cpuSecondsPer1000))),
    serverCpuSecondsPer1000: figures(row.runs.map((r) => (r.serverCpuSecondsPer1000 ? sum(r.serverCpuSecondsPer1000) : NaN))),
    allInCpuMsPerSaga: figures(row.runs.map(allInCpuMsPerSaga)),
    peakRssMiB: figures(row.runs.map((r) => sum(r.peakRssMiB))),
  }));
}

/** A system's best closed-loop configuration: the concurrency with the highest median sagas/s. */
export function bestOf(summary: readonly SummaryRow[], system: string): SummaryRow | undefined {
  const closed = summary.filter((s) => s.system === system && s.load === 'closed' && Number.isFinite(s.sagasPerSecond.median));
  return closed.reduce<SummaryRow | undefined>((best, s) => (!best || s.sagasPerSecond.median > best.sagasPerSecond.median ? s : best), undefined);
}

export type Headline = Readonly<{
  best: Readonly<Record<string, { configuration: string; concurrency: number | undefined; sagasPerSecond: number; allInCpuMsPerSaga: number }>>;
  /** `a ÷ b` of each pair measured in this run, for throughput and for all-in CPU per saga. */
  ratios: readonly Readonly<{ pair: string; sagasPerSecond: number; allInCpuMsPerSaga: number }>[];
}>;

/**
 * The headline figures, all from this one run: each system's best closed-loop throughput and its
 * all-in CPU per saga at that load, and the ratios of xsaga to each other system. CPU per saga is
 * the figure a noisy machine moves least; both are ratios, so a slower machine shifts both sides.
 */
export function headline(summary: readonly SummaryRow[]): Headline {
  const best: Record<string, { configuration: string; concurrency: number | undefined; sagasPerSecond: number; allInCpuMsPerSaga: number }> = {};
  for (const system of Object.values(SYSTEMS)) {
    const row = bestOf(summary, system);
    if (row) best[system] = { configuration: row.name, concurrency: row.concurrency, sagasPerSecond: row.sagasPerSecond.median, allInCpuMsPerSaga: row.allInCpuMsPerSaga.median };
  }
  const pairs: [string, string][] = [
    [SYSTEMS.xsagaOneProcess, SYSTEMS.baseline],
    [SYSTEMS.xsaga, SYSTEMS.baseline],
    [SYSTEMS.xsaga, SYSTEMS.restate],
    [SYSTEMS.xsaga, SYSTEMS.restateSideEffects],
  ];
  const ratios = pairs
    .filter(([a, b]) => best[a] && best[b])
    .map(([a, b]) => ({
      pair: `${a} ÷ ${b}`,
      sagasPerSecond: best[a]!.sagasPerSecond / best[b]!.sagasPerSecond,
      allInCpuMsPerSaga: best[a]!.allInCpuMsPerSaga / best[b]!.allInCpuMsPerSaga,
    }));
  return { best, ratios };
}

const fmt = (n: number | undefined, digits = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '—');

/** The printed summary: every configuration, then the headline. */
export function summaryLines(summary: readonly SummaryRow[], top: Headline): string[] {
  if (summary.length === 0) return [];
  const lines = [
    `| scenario | sagas/s (min / median / max) | p50 ms | p95 ms | p99 ms | read-model lag p99 ms | CPU s per 1,000 sagas | servers' CPU s per 1,000 sagas | all-in CPU ms per saga | peak RSS MiB |`,
    `|---|---|---|---|---|---|---|---|---|---|`,
    ...summary.map(
      (s) =>
        `| ${s.name} | ${fmt(s.sagasPerSecond.min)} / **${fmt(s.sagasPerSecond.median)}** / ${fmt(s.sagasPerSecond.max)} | ${fmt(s.p50.median)} | ${fmt(s.p95.median)} | ${fmt(s.p99.median)} | ${fmt(s.readModelLagP99.median)} | ${fmt(s.cpuSecondsPer1000.median, 1)} | ${fmt(s.serverCpuSecondsPer1000.median, 1)} | ${fmt(s.allInCpuMsPerSaga.median, 1)} | ${fmt(s.peakRssMiB.median)} |`,
    ),
  ];
  const systems = Object.entries(top.best);
  if (systems.length > 0) {
    lines.push(
      '',
      '| system, at its best closed-loop load | best configuration | sagas/s | all-in CPU ms per saga |',
      '|---|---|---|---|',
      ...systems.map(([system, b]) => `| ${system} | ${b.configuration} | **${fmt(b.sagasPerSecond)}** | **${fmt(b.allInCpuMsPerSaga, 1)}** |`),
    );
  }
  if (top.ratios.length > 0) {
    lines.push(
      '',
      '| ratio (each at its best load, one run) | sagas/s | all-in CPU ms per saga |',
      '|---|---|---|',
      ...top.ratios.map((r) => `| ${r.pair} | **${fmt(r.sagasPerSecond, 2)}×** | **${fmt(r.allInCpuMsPerSaga, 2)}×** |`),
    );
  }
  return lines;
}
