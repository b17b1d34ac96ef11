import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { ScenarioOptions, ScenarioResult } from './benchTypes.ts';
import { runBaselineScenario } from './scenarios/baselineScenario.ts';
import { runEmbeddedScenario } from './scenarios/embeddedScenario.ts';
import { runHydrationScenario, type HydrationResult } from './scenarios/hydrationScenario.ts';
import { runProductionScenario } from './scenarios/productionScenario.ts';
import { checkBaselineIo } from './scenarios/baselineIoCheck.ts';
import { figures, headline, summarize, summaryLines, SYSTEMS, type Figures, type Row } from './summary.ts';
import { formatIoCheck, type IoCheck } from './ioCheck.ts';
import { warmUpServers, type WarmUpRun } from './serverWarmUp.ts';

const SCENARIOS = ['embedded', 'production', 'baseline', 'restate', 'restate-side-effects', 'hydration'] as const;
type Scenario = (typeof SCENARIOS)[number];
const DEFAULT_SWEEP = '16,64,256,1024';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    reps: { type: 'string', default: '3' },
    sagas: { type: 'string', default: '2000' },
    /** Closed-loop concurrencies; each system's best of them is its figure. */
    sweep: { type: 'string' },
    /** One concurrency instead of a sweep (the embedded scenario's, and every scenario's when no sweep is given). */
    concurrency: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const chosen = values.scenarios.split(',').map((s) => s.trim()) as Scenario[];
for (const s of chosen) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; choose from ${SCENARIOS.join(', ')}`);
const reps = values.quick ? 1 : Number(values.reps);
const sagas = values.quick ? 300 : Number(values.sagas);
const concurrency = Number(values.concurrency ?? 64);
const sweep = (values.sweep ?? (values.quick || values.concurrency !== undefined ? String(concurrency) : DEFAULT_SWEEP)).split(',').map(Number);
for (const c of [concurrency, ...sweep]) if (!(Number.isInteger(c) && c >= 1 && c <= 4096)) throw new Error(`a concurrency is a whole number from 1 to 4096, not ${c}`);
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

const rows: Row[] = [];
const hydration: HydrationResult[] = [];
let ioCheck: IoCheck | undefined;

async function repeat(row: Omit<Row, 'runs'>, run: () => Promise<ScenarioResult>): Promise<Row> {
  const filled: Row = { ...row, runs: [] };
  rows.push(filled);
  for (let i = 0; i < reps; i++) {
    process.stderr.write(`bench: ${row.name}, run ${i + 1}/${reps}\n`);
    const result = await run();
    filled.runs.push(result);
    // Each run is printed as it ends, so a late failure loses no measurement.
    process.stderr.write(`bench: ${JSON.stringify(result)}\n`);
  }
  return filled;
}

/** A closed loop at `c` in flight: at least four rounds of it measured, after a warm-up that fills it once. */
const closed = (c: number, n = Math.max(sagas, 4 * c)): ScenarioOptions => ({ sagas: n, warmup: Math.max(warmup, c), load: { kind: 'closed', concurrency: c }, timeoutMs });
/** The open-loop rate: half of the median closed-loop throughput of the same system at its best. */
const halfOf = (row: Row | undefined) => Math.max(1, Math.round(figures(row?.runs.map((r) => r.sagasPerSecond) ?? [1]).median / 2));
const open = (rate: number): ScenarioOptions => ({ sagas: Math.min(sagas, Math.max(100, rate * 20)), warmup: 20, load: { kind: 'open', ratePerSecond: rate }, timeoutMs });

const medianOf = (row: Row) => figures(row.runs.map((r) => r.sagasPerSecond)).median;

/** Closed loops at every concurrency of the sweep, in one setting of the system; resolves to the best (highest median sagas/s). */
async function sweepClosed(system: string, run: (options: ScenarioOptions) => Promise<ScenarioResult>, setting?: string): Promise<Row> {
  const swept: Row[] = [];
  const label = setting === undefined ? system : `${system}, ${setting}`;
  for (const c of sweep) swept.push(await repeat({ name: `${label}, closed loop, ${c} in flight`, system, load: 'closed', concurrency: c }, () => run(closed(c))));
  return swept.reduce((best, row) => (medianOf(row) > medianOf(best) ? row : best));
}

// Kafka and Elasticsearch just started cost the first system measured on them more than the next.
const serverWarmUp: WarmUpRun[] = chosen.some((s) => s === 'production' || s === 'baseline' || s === 'restate-side-effects')
  ? await warmUpServers(() => runProductionScenario({ ...closed(Math.min(...sweep)), workers: 1 }))
  : [];
if (chosen.includes('embedded')) {
  await repeat({ name: 'embedded, closed loop', system: 'embedded', load: 'closed', concurrency }, () => runEmbeddedScenario(closed(concurrency, sagas)));
  const rate = halfOf(rows.at(-1));
  await repeat({ name: `embedded, open loop at ${rate}/s`, system: 'embedded', load: 'open' }, () => runEmbeddedScenario(open(rate)));
}
if (chosen.includes('production')) {
  // Workers are a setting of xsaga's: one swept, then two at the best load, and the better one's half for the open loop.
  const swept = await sweepClosed(SYSTEMS.xsaga, (o) => runProductionScenario({ ...o, workers: 1 }));
  const c = swept.concurrency!;
  const two = await repeat({ name: `${SYSTEMS.xsaga}, 2 workers, closed loop, ${c} in flight`, system: SYSTEMS.xsaga, load: 'closed', concurrency: c }, () =>
    runProductionScenario({ ...closed(c), workers: 2 }),
  );
  const workers = medianOf(two) > medianOf(swept) ? 2 : 1;
  const rate = halfOf(workers === 2 ? two : swept);
  await repeat({ name: `${SYSTEMS.xsaga}, ${workers} worker${workers > 1 ? 's' : ''}, open loop at ${rate}/s (half its best)`, system: SYSTEMS.xsaga, load: 'open' }, () =>
    runProductionScenario({ ...open(rate), workers }),
  );
  await repeat({ name: `${SYSTEMS.xsaga}, one order at a time`, system: SYSTEMS.xsaga, load: 'one at a time' }, () =>
    runProductionScenario({ ...closed(1, Math.min(sagas, 200)), workers: 1 }),
  );
}
if (chosen.includes('baseline')) {
  // First the self-check: the baseline must write what xsaga writes for the same orders, or its figures mean nothing.
  ioCheck = await checkBaselineIo().catch((error: unknown) => {
    process.stderr.write(`bench: the baseline's I/O check could not run: ${(error as Error).message}\n`);
    return undefined;
  });
  if (ioCheck) process.stderr.write(`bench: ${formatIoCheck(ioCheck).join('\n')}\n`);
  if (!ioCheck?.ok) {
    process.exitCode = 1;
    process.stderr.write("bench: the raw baseline no longer does xsaga's I/O per saga (above); its scenario is skipped: update bench/baseline and bench/IO.md\n");
  } else {
    await sweepClosed(SYSTEMS.xsagaOneProcess, (o) => runProductionScenario({ ...o, workers: 1, singleProcess: true }));
    await sweepClosed(SYSTEMS.baseline, (o) => runBaselineScenario(o));
  }
}
if (chosen.includes('restate') || chosen.includes('restate-side-effects')) {
  try {
    // Loaded by path at run time: the peer's SDK and server are dev dependencies of the benchmark only.
    const restateModule = './scenarios/restateScenario.ts';
    const { runRestateScenario } = (await import(restateModule)) as {
      runRestateScenario: (o: ScenarioOptions & { partitions?: number; sideEffects?: boolean }) => Promise<ScenarioResult>;
    };
    /**
     * Restate's partitions are a setting of its own: its default (24) and 2 (one per core) both swept,
     * since each peaks at its own load, and the better one's half for the open loop.
     */
    const restateSystem = async (system: string, sideEffects: boolean) => {
      const run = (o: ScenarioOptions, partitions?: number) => runRestateScenario({ ...o, sideEffects, ...(partitions === undefined ? {} : { partitions }) });
      const swept = await sweepClosed(system, (o) => run(o));
      const two = await sweepClosed(system, (o) => run(o, 2), '2 partitions');
      const twoIsBetter = medianOf(two) > medianOf(swept);
      const rate = halfOf(twoIsBetter ? two : swept);
      const partitions = twoIsBetter ? 2 : undefined;
      await repeat({ name: `${system}${twoIsBetter ? ', 2 partitions' : ''}, open loop at ${rate}/s (half its best)`, system, load: 'open' }, () => run(open(rate), partitions));
      return partitions;
    };
    if (chosen.includes('restate')) {
      const partitions = await restateSystem(SYSTEMS.restate, false);
      await repeat({ name: `${SYSTEMS.restate}, one order at a time`, system: SYSTEMS.restate, load: 'one at a time' }, () =>
        runRestateScenario({ ...closed(1, Math.min(sagas, 200)), ...(partitions === undefined ? {} : { partitions }) }),
      );
    }
    if (chosen.includes('restate-side-effects')) await restateSystem(SYSTEMS.restateSideEffects, true);
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
const summary = summarize(rows);
const top = headline(summary);
const hydrationSummary = Object.fromEntries(
  (hydration[0] ? (Object.keys(hydration[0]) as (keyof HydrationResult)[]) : []).map((key) => [key, figures(hydration.map((h) => h[key]))]),
);
const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${stamp}-${commit}.json`;
writeFileSync(
  file,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      commit,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
      node: process.version,
      versions,
      options: { reps, sagas, sweep, concurrency, warmup },
      serverWarmUp,
      headline: top,
      ioCheck,
      summary,
      runs: rows,
      hydration: hydrationSummary,
    },
    null,
    2,
  ),
);

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const lines = summaryLines(summary, top);
if (ioCheck) lines.push('', ...formatIoCheck(ioCheck));
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
