import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ScenarioOptions, ScenarioResult } from '../benchTypes.ts';
import type { DriverInput, DriverReport } from '../restate/driver.ts';
import { benchEnv, RESTATE_ADDRESSES, startRestate, type RestateDeployment } from '../restate/restateServer.ts';
import { createSideEffectsStore, type SideEffectsStore } from '../restate/sideEffectsStore.ts';

export type RestateScenarioOptions = ScenarioOptions &
  Readonly<{
    /** restate-server's `--default-num-partitions`; its default (24) when absent. */
    partitions?: number;
    /** The saga's payment deadline; 30 s like the xsaga scenarios. */
    paymentTimeoutMs?: number;
    /** Ends the run early; everything started is still stopped. */
    signal?: AbortSignal;
    /** Participants write xsaga's rows to PostgreSQL and the saga indexes its order document at the end. */
    sideEffects?: boolean;
    /** Counts the rows and documents the side-effects variant wrote (`io` of the result). */
    countIo?: boolean;
  }>;

/** Time kept back from `timeoutMs` to stop the processes and remove the namespace and the data. */
const STOP_RESERVE_MS = 10_000;
/** Time the driver has to report after it abandons the load, before it is killed. */
const REPORT_GRACE_MS = 3_000;

const DEFAULT_PAYMENT_TIMEOUT_MS = 30_000;

/** The servers the side-effects variant writes to: their CPU is part of its cost, as for xsaga. */
const SIDE_EFFECT_SERVERS = ['postgres', 'elasticsearch'];
const SIDE_EFFECT_NOTES = [
  "side effects: the participants write xsaga's ledger, stock, reservation and shipment rows (same SQL and unique keys, one transaction per call) and the saga indexes the order's document (xsaga's mapping) at its end",
  'PostgreSQL is reached over its Unix socket and Elasticsearch through a Unix-socket bridge in the benchmark process (not counted): the namespace has only loopback',
];
const DEFAULT_PARTITIONS = 24;

/**
 * The peer: the same order saga as a Restate workflow calling three participant services, on
 * restate-server and the TypeScript SDK, with the driver calling the ingress from inside the same
 * loopback-only network namespace. CPU and peak memory are those of restate-server and the SDK endpoint.
 */
export async function runRestateScenario(options: RestateScenarioOptions): Promise<ScenarioResult> {
  const deadline = Date.now() + options.timeoutMs;
  const stopBy = deadline - STOP_RESERVE_MS - REPORT_GRACE_MS;
  const paymentTimeoutMs = options.paymentTimeoutMs ?? DEFAULT_PAYMENT_TIMEOUT_MS;
  const store: SideEffectsStore | undefined = options.sideEffects ? await createSideEffectsStore(`restate_${Date.now().toString(36)}`) : undefined;
  let restate: RestateDeployment | undefined;
  try {
    restate = await startRestate({
      readyBy: stopBy,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
      ...(store ? { sideEffects: store.target } : {}),
    });
    const report = await runDriverProcess(
      restate,
      {
        ingress: RESTATE_ADDRESSES.ingress,
        runId: `bench-${Date.now().toString(36)}`,
        options: { sagas: options.sagas, warmup: options.warmup, load: options.load, timeoutMs: options.timeoutMs },
        paymentTimeoutMs,
        pids: restate.pids,
        stopBy,
        servers: store ? SIDE_EFFECT_SERVERS : [],
      },
      stopBy + REPORT_GRACE_MS,
      options.signal,
    );
    const partitions = options.partitions ?? DEFAULT_PARTITIONS;
    if (store && options.countIo) await restate.stop();
    return {
      scenario: `${store ? 'restate with side effects' : 'restate'}${options.partitions === undefined ? '' : `, ${partitions} partitions`}`,
      sagas: options.sagas,
      completed: report.completed,
      seconds: report.seconds,
      sagasPerSecond: report.completed / report.seconds,
      latencyMs: report.latencyMs,
      cpuSecondsPer1000: report.cpuSecondsPer1000,
      ...(report.serverCpuSecondsPer1000 ? { serverCpuSecondsPer1000: report.serverCpuSecondsPer1000 } : {}),
      peakRssMiB: report.peakRssMiB,
      notes: [...notesFor(report, partitions, paymentTimeoutMs), ...(store ? SIDE_EFFECT_NOTES : [])],
      ...(store && options.countIo ? { io: await store.io() } : {}),
    };
  } finally {
    await restate?.stop();
    await store?.drop();
  }
}

/** Runs the driver inside the namespace and reads its report; kills it by pid if it overruns `killAt` or the run is aborted. */
async function runDriverProcess(restate: RestateDeployment, input: DriverInput, killAt: number, signal?: AbortSignal): Promise<DriverReport> {
  const driverPath = fileURLToPath(new URL('../restate/driver.ts', import.meta.url));
  const driver = restate.namespace.spawn(process.execPath, [driverPath, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'], env: benchEnv() });
  driver.on('error', () => undefined);
  let stdout = '';
  let stderr = '';
  driver.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  driver.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const kill = () => driver.kill('SIGKILL');
  const timer = setTimeout(kill, Math.max(0, killAt - Date.now()));
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const [code, exitSignal] = (await once(driver, 'close')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) throw new Error(`the Restate driver ended with ${exitSignal ?? `exit code ${code}`}${signal?.aborted ? ' (aborted)' : ''}\n${stderr}`);
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as DriverReport;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', kill);
    if (driver.exitCode === null && driver.signalCode === null) kill();
  }
}

function notesFor(report: DriverReport, partitions: number, paymentTimeoutMs: number): string[] {
  const require = createRequire(import.meta.url);
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  const { undelayed } = report;
  const outcomes = Object.entries(report.outcomes)
    .sort(([, a], [, b]) => b - a)
    .map(([outcome, count]) => `${outcome} ${count}`);
  return [
    `restate-server ${version('@restatedev/restate-server')}, @restatedev/restate-sdk ${version('@restatedev/restate-sdk')}; ${partitions} partitions; default durability (the log is fsynced)`,
    'restate-server, the SDK endpoint and the driver run in one network namespace that has only loopback; the driver calls the ingress over HTTP/1.1',
    `outcomes: ${outcomes.join(', ')}`,
    `payment deadline ${paymentTimeoutMs} ms: a durable timer races the capture call, so the 1% tok_no_answer sagas end after it`,
    `the other ${undelayed.sagas} sagas had all ended ${undelayed.seconds.toFixed(1)} s after the start: ${(undelayed.sagas / undelayed.seconds).toFixed(1)} sagas/s`,
    'forward steps retried by Restate itself: at most 5 attempts, 10 ms apart then doubling (the server default starts at 500 ms)',
    ...(report.errors > 0 ? [`${report.errors} calls failed; first: ${report.firstError}`] : []),
    ...(report.timedOut ? ['timed out: the sagas still running were abandoned and are not counted'] : []),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sagas: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '64' },
      rate: { type: 'string' },
      partitions: { type: 'string' },
      'payment-timeout-ms': { type: 'string' },
      'timeout-ms': { type: 'string', default: '600000' },
      'side-effects': { type: 'boolean', default: false },
    },
  });
  const abort = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => abort.abort());
  const result = await runRestateScenario({
    sagas: Number(values.sagas),
    warmup: Number(values.warmup),
    load: values.rate === undefined ? { kind: 'closed', concurrency: Number(values.concurrency) } : { kind: 'open', ratePerSecond: Number(values.rate) },
    timeoutMs: Number(values['timeout-ms']),
    ...(values.partitions === undefined ? {} : { partitions: Number(values.partitions) }),
    ...(values['payment-timeout-ms'] === undefined ? {} : { paymentTimeoutMs: Number(values['payment-timeout-ms']) }),
    signal: abort.signal,
    sideEffects: values['side-effects'],
    countIo: values['side-effects'],
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (import.meta.main) await main();
