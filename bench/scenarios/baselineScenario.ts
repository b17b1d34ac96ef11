import pg from 'pg';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { BENCH_SERVERS } from '../benchServers.ts';
import type { ScenarioOptions, ScenarioResult } from '../benchTypes.ts';
import { ioCountsOf } from '../ioCounts.ts';
import { driveOrders, scenarioResult } from '../orderDriver.ts';
import { cpuWindow } from '../processStats.ts';
import { dropBenchTopics } from './productionScenario.ts';
import { startBenchProcess, type BenchProcess } from './roleProcess.ts';

/** What the baseline prints once it listens: the whole line, so that a URL split across two reads is not taken half. */
const BASELINE_READY = /baseline ready (http:\S+)\s/;

/** The raw saga-shaped baseline (bench/baseline/baselineSaga.ts), one process, the same servers and driver. */
export async function runBaselineScenario(options: ScenarioOptions & { countIo?: boolean }): Promise<ScenarioResult> {
  const id = `baseline_${Date.now().toString(36)}`;
  const prefix = id.replaceAll('_', '-');
  const observer = createKafkaMessageBus({ brokers: BENCH_SERVERS.kafkaBrokers, clientId: 'xsaga-bench' });
  let baseline: BenchProcess | undefined;
  try {
    baseline = await startBenchProcess({
      name: 'baseline',
      script: 'bench/baseline/baselineSaga.ts',
      env: {
        BASELINE_SCHEMA: id,
        BASELINE_TOPIC_PREFIX: prefix,
        BASELINE_PG_URL: BENCH_SERVERS.pgUrl,
        BASELINE_REDIS_URL: BENCH_SERVERS.redisUrl,
        BASELINE_KAFKA_BROKERS: BENCH_SERVERS.kafkaBrokers.join(','),
        BASELINE_ES_URL: BENCH_SERVERS.elasticsearchUrl,
      },
      ready: BASELINE_READY,
    });
    const url = BASELINE_READY.exec(baseline.output())![1]!;
    const cpu = cpuWindow({ baseline: baseline.pid });
    const run = await driveOrders({ url, bus: observer, factsTopic: `${prefix}.order-events`, options, runId: id });
    const result = scenarioResult('raw baseline', options, run, cpu.end(options.warmup + options.sagas), [
      "the order mix of the xsaga scenarios, with xsaga's rows, messages, Redis operations and documents per saga (bench/IO.md)",
    ]);
    if (!options.countIo) return result;
    await baseline.stop();
    return { ...result, io: await ioCountsOf(BENCH_SERVERS, { schema: id, topicPrefix: prefix, indexPattern: `${id}-orders` }) };
  } finally {
    await observer.close();
    await baseline?.stop();
    await dropBaselineData(id, prefix);
  }
}

async function dropBaselineData(schema: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_SERVERS.pgUrl });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
  await fetch(`${BENCH_SERVERS.elasticsearchUrl}/${schema}-orders`, { method: 'DELETE' }).catch(() => undefined);
  await dropBenchTopics(prefix);
}
