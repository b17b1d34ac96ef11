import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { ScenarioOptions, ScenarioResult } from './benchTypes.ts';
import { runBaselineScenario } from './scenarios/baselineScenario.ts';
import { runEmbeddedScenario } from './scenarios/embeddedScenario.ts';
import { runHydrationScenario, type HydrationResult } from './scenarios/hydrationScenario.ts';
import { runProductionScenario } from './scenarios/productionScenario.ts';

const SCENARIOS = ['embedded', 'production', 'baseline', 'restate', 'hydration'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    reps: { type: 'string', default: '3' },
    sagas: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    quick: { type: 'boolean', default: false },
  },
});
const chosen = values.scenarios.split(',').map((s) => s.trim()) as Scenario[];
for (const s of chosen) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; choose from ${SCENARIOS.join(', ')}`);
const reps = values.quick ? 1 : Number(values.reps);
const sagas = values.quick ? 300 : Number(values.sagas);
const concurrency = Number(values.concurrency);
const warmup = Math.max(50, Math.round(sagas / 10));
const timeoutMs = 300_000;

// The servers the scenarios need, started by the project's own script; stopped afterwards only if started here.
const needsServers = chosen.some((s) => s !== 'embedded');
const infra = (command: string, services: string[]) => {
  try {
    execFileSync('scripts/infra.sh', [command, ...services], { stdio: command === 'status' ? 'ignore' : 'inherit' });
    return true;
  } catch {
    return false;
  }
};
const SERVICES = ['postgres', 'redis', 'kafka', 'elasticsearch'];
const startedHere = needsServers ? SERVICES.filter((s) => !infra('status', [s])) : [];
if (needsServers && !infra('up', SERVICES)) throw new Error('could not start the servers; see above');
process.on('exit', () => {
  if (startedHere.length > 0) infra('down', startedHere);
});

type Figures = Readonly<{ min: number; median: number; max: number }>;
const figures = (xs: readonly number[]): Figures => {
  const sorted = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return { min: sorted[0] ?? NaN, median: sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN, max: sorted.at(-1) ?? NaN };
};

type Row = { name: string; runs: ScenarioResult[] };
const rows: Row[] = [];
const hydration: HydrationResult[] = [];

async function repeat(name: string, run: () => Promise<ScenarioResult>): Promise<void> {
  const row: Row = { name, runs: [] };
  rows.push(row);
  for (let i = 0; i < reps; i++) {
    process.stderr.write(`bench: ${name}, run ${i + 1}/${reps}\n`);
    const result = await run();
    row.runs.push(result);
    // Each run is printed as it ends, so a late failure loses no measurement.
    process.stderr.write(`bench: ${JSON.stringify(result)}\n`);
  }
}

const closed = (c: number, n = sagas): ScenarioOptions => ({ sagas: n, warmup, load: { kind: 'closed', concurrency: c }, timeoutMs });
/** The open-loop rate: half of the median closed-loop throughput of the same scenario. */
const halfOf = (row: Row | undefined) => Math.max(1, Math.round(figures(row?.runs.map((r) => r.sagasPerSecond) ?? [1]).median / 2));
const open = (rate: number): ScenarioOptions => ({ sagas: Math.min(sagas, Math.max(100, rate * 20)), warmup: 20, load: { kind: 'open', ratePerSecond: rate }, timeoutMs });

if (chosen.includes('embedded')) {
  await repeat('embedded, closed loop', () => runEmbeddedScenario(closed(concurrency)));
  const rate = halfOf(rows.at(-1));
  await repeat(`embedded, open loop at ${rate}/s`, () => runEmbeddedScenario(open(rate)));
}
if (chosen.includes('production')) {
  for (const workers of [1, 2]) {
    await repeat(`production ${workers} worker(s), closed loop`, () => runProductionScenario({ ...closed(concurrency), workers }));
    const rate = halfOf(rows.at(-1));
    await repeat(`production ${workers} worker(s), open loop at ${rate}/s`, () => runProductionScenario({ ...open(rate), workers }));
  }
  await repeat('production 1 worker, one order at a time', () => runProductionScenario({ ...closed(1, Math.min(sagas, 200)), workers: 1 }));
}
if (chosen.includes('baseline')) {
  await repeat('production, one process, closed loop', () => runProductionScenario({ ...closed(concurrency), workers: 1, singleProcess: true }));
  await repeat('raw baseline, one process, closed loop', () => runBaselineScenario(closed(concurrency)));
}
if (chosen.includes('restate')) {
  try {
    // Loaded by path at run time: the peer's SDK and server are dev dependencies of the benchmark only.
    const restateModule = './scenarios/restateScenario.ts';
    const { runRestateScenario } = (await import(restateModule)) as {
      runRestateScenario: (o: ScenarioOptions & { partitions?: number }) => Promise<ScenarioResult>;
    };
    await repeat('Restate default, closed loop', () => runRestateScenario(closed(concurrency)));
    await repeat('Restate 2 partitions, closed loop', () => runRestateScenario({ ...closed(concurrency), partitions: 2 }));
    await repeat('Restate, one order at a time', () => runRestateScenario(closed(1, Math.min(sagas, 200))));
  } catch (error) {
    process.stderr.write(`bench: Restate scenario could not run: ${(error as Error).message}\n`);
  }
}
if (chosen.includes('hydration')) {
  for (let i = 0; i < reps; i++) hydration.push(await runHydrationScenario({ streams: values.quick ? 2000 : 10_000 }));
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  } catch {
    return 'unknown';
  }
})();
// Read from node_modules directly: some packages do not export their package.json.
const versions = Object.fromEntries(
  ['xstate', 'kafkajs', 'pg', '@elastic/elasticsearch', 'ioredis', '@electric-sql/pglite', '@restatedev/restate-server'].map((name) => {
    try {
      return [name, (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version];
    } catch {
      return [name, 'not installed'];
    }
  }),
);
const sum = (values: Readonly<Record<string, number>>) => Object.values(values).reduce((a, b) => a + b, 0);
const summary = rows.map((row) => ({
  name: row.name,
  sagasPerSecond: figures(row.runs.map((r) => r.sagasPerSecond)),
  p50: figures(row.runs.map((r) => r.latencyMs.p50)),
  p95: figures(row.runs.map((r) => r.latencyMs.p95)),
  p99: figures(row.runs.map((r) => r.latencyMs.p99)),
  readModelLagP99: figures(row.runs.map((r) => r.readModelLagP99Ms ?? NaN)),
  cpuSecondsPer1000: figures(row.runs.map((r) => sum(r.cpuSecondsPer1000))),
  serverCpuSecondsPer1000: figures(row.runs.map((r) => (r.serverCpuSecondsPer1000 ? sum(r.serverCpuSecondsPer1000) : NaN))),
  peakRssMiB: figures(row.runs.map((r) => Object.values(r.peakRssMiB).reduce((a, b) => a + b, 0))),
}));
const hydrationSummary = Object.fromEntries(
  (hydration[0] ? (Object.keys(hydration[0]) as (keyof HydrationResult)[]) : []).map((key) => [key, figures(hydration.map((h) => h[key]))]),
);
const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${stamp}-${commit}.json`;
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), commit, machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) }, node: process.version, versions, options: { reps, sagas, concurrency, warmup }, summary, runs: rows, hydration: hydrationSummary }, null, 2),
);

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const median = (name: string) => summary.find((s) => s.name.startsWith(name))?.sagasPerSecond.median ?? NaN;
const lines = summary.length === 0 ? [] : [
  `| scenario | sagas/s (min / median / max) | p50 ms | p95 ms | p99 ms | read-model lag p99 ms | CPU s per 1,000 sagas | servers' CPU s per 1,000 sagas | peak RSS MiB |`,
  `|---|---|---|---|---|---|---|---|---|`,
  ...summary.map(
    (s) =>
      `| ${s.name} | ${fmt(s.sagasPerSecond.min)} / **${fmt(s.sagasPerSecond.median)}** / ${fmt(s.sagasPerSecond.max)} | ${fmt(s.p50.median)} | ${fmt(s.p95.median)} | ${fmt(s.p99.median)} | ${fmt(s.readModelLagP99.median)} | ${fmt(s.cpuSecondsPer1000.median, 1)} | ${fmt(s.serverCpuSecondsPer1000.median, 1)} | ${fmt(s.peakRssMiB.median)} |`,
  ),
];
const baseline = median('raw baseline');
if (Number.isFinite(baseline)) lines.push('', `xsaga production (one process) ÷ raw baseline (one process): **${fmt(median('production, one process') / baseline, 2)}×**`);
const restateBest = Math.max(median('Restate default'), median('Restate 2 partitions'));
if (Number.isFinite(restateBest)) lines.push('', `xsaga production (1 worker) ÷ Restate best: **${fmt(median('production 1 worker(s), closed') / restateBest, 2)}×**`);
if (hydrationSummary.foldEventsPerSecond) {
  const h = hydrationSummary as Record<keyof HydrationResult, Figures>;
  lines.push(
    '',
    `| hydration (median of ${hydration.length}) | value |`,
    `|---|---|`,
    `| fold of stored events in memory (the runtime's stepper), events/s | ${fmt(h.foldEventsPerSecond.median)} |`,
    `| cold replay from PostgreSQL, one saga per load, events/s | ${fmt(h.coldReplayEventsPerSecond.median)} |`,
    `| cold replay with a snapshot, one saga per load, events/s | ${fmt(h.coldReplayWithSnapshotEventsPerSecond.median)} |`,
    `| cold replay, 500 sagas per load (a worker's batch), events/s | ${fmt(h.coldBatchReplayEventsPerSecond.median)} |`,
    `| cold replay with a snapshot, 500 sagas per load, events/s | ${fmt(h.coldBatchReplayWithSnapshotEventsPerSecond.median)} |`,
    `| append ÷ raw batched INSERT (same rows, same durability) | ${fmt(h.appendRatio.median, 2)} (${fmt(h.appendRowsPerSecond.median)} vs ${fmt(h.rawInsertRowsPerSecond.median)} rows/s) |`,
    `| heap per cached live saga, bytes | ${fmt(h.bytesPerCachedActor.median)} |`,
    `| memory after 1,000,000 sagas: bounded by the 10,000-saga cache ≈ 10,000 × bytes per saga, MiB | ${fmt((10_000 * h.bytesPerCachedActor.median) / 2 ** 20, 1)} |`,
    `| heap change over 1,000,000 insertions into that cache (100 distinct snapshots shared), MiB | ${fmt(h.heapGrowthAfterMillionMiB.median, 1)} |`,
  );
}
console.log(`\nxsaga bench ${new Date().toISOString().slice(0, 10)}, commit ${commit}, ${cpus().length} cores, Node ${process.version}; orders over HTTP; results in ${file}\n`);
console.log(lines.join('\n'));
