import { parseArgs } from 'node:util';
import pg from 'pg';
import { BENCH_SERVERS } from './benchServers.ts';
import { runProductionScenario } from './scenarios/productionScenario.ts';
import { warmUpServers } from './serverWarmUp.ts';

/**
 * One setting of xsaga production, for comparing two commits: run it in each checkout in turn, on
 * servers already up (`scripts/infra.sh up`), and compare what it prints. Beside the bench's figures
 * it counts PostgreSQL's committed transactions per saga (`pg_stat_database`, every database of the
 * server: run nothing else against it meanwhile), a count a noisy machine does not move.
 *
 *   node bench/oneSetting.ts --concurrency 1 --sagas 150 [--workers 1]
 *   node bench/oneSetting.ts --rate 58 --sagas 1000     (an open loop: orders sent at that rate, whatever is in flight)
 *   node bench/oneSetting.ts --warm-servers ...          (first, unmeasured runs of the same setting until Kafka's and
 *                                                         Elasticsearch's CPU per saga stops falling: for servers just started)
 */
const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '16' }, rate: { type: 'string' }, sagas: { type: 'string', default: '600' }, workers: { type: 'string', default: '1' }, 'warm-servers': { type: 'boolean', default: false } } });
const concurrency = Number(values.concurrency);
const sagas = Number(values.sagas);
const rate = values.rate === undefined ? undefined : Number(values.rate);
const warmup = Math.max(50, rate ?? concurrency);
const setting = {
  sagas,
  warmup,
  load: rate === undefined ? ({ kind: 'closed', concurrency } as const) : ({ kind: 'open', ratePerSecond: rate } as const),
  timeoutMs: 300_000,
  workers: Number(values.workers),
};
if (values['warm-servers']) await warmUpServers(() => runProductionScenario(setting));

const db = new pg.Client({ connectionString: BENCH_SERVERS.pgUrl });
await db.connect();
const transactions = async () => Number((await db.query<{ n: string }>('select sum(xact_commit) as n from pg_stat_database')).rows[0]!.n);
try {
  const before = await transactions();
  const result = await runProductionScenario(setting);
  const after = await transactions();
  const cpuMs = Object.values({ ...result.cpuSecondsPer1000, ...result.serverCpuSecondsPer1000 }).reduce((sum, seconds) => sum + seconds, 0);
  console.log(
    JSON.stringify({
      ...(rate === undefined ? { concurrency } : { rate }),
      sagasPerSecond: Number(result.sagasPerSecond.toFixed(1)),
      p50Ms: Math.round(result.latencyMs.p50),
      p99Ms: Math.round(result.latencyMs.p99),
      allInCpuMsPerSaga: Number(cpuMs.toFixed(1)),
      pgTransactionsPerSaga: Number(((after - before) / (sagas + warmup)).toFixed(2)),
      cpuSecondsPer1000: { ...result.cpuSecondsPer1000, ...result.serverCpuSecondsPer1000 },
    }),
  );
} finally {
  await db.end();
}
