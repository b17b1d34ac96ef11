import { spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { BENCH_SERVERS } from '../benchServers.ts';
import type { ScenarioOptions, ScenarioResult } from '../benchTypes.ts';
import { ioCountsOf } from '../ioCounts.ts';
import { driveOrders, scenarioResult } from '../orderDriver.ts';
import { cpuWindow } from '../processStats.ts';
import { dropBenchTopics } from './productionScenario.ts';

/** The raw saga-shaped baseline (bench/baseline/baselineSaga.ts), one process, the same servers and driver. */
export async function runBaselineScenario(options: ScenarioOptions & { countIo?: boolean }): Promise<ScenarioResult> {
  const id = `baseline_${Date.now().toString(36)}`;
  const prefix = id.replaceAll('_', '-');
  const child = spawn(process.execPath, ['bench/baseline/baselineSaga.ts'], {
    env: {
      ...process.env,
      BASELINE_SCHEMA: id,
      BASELINE_TOPIC_PREFIX: prefix,
      BASELINE_PG_URL: BENCH_SERVERS.pgUrl,
      BASELINE_REDIS_URL: BENCH_SERVERS.redisUrl,
      BASELINE_KAFKA_BROKERS: BENCH_SERVERS.kafkaBrokers.join(','),
      BASELINE_ES_URL: BENCH_SERVERS.elasticsearchUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const observer = createKafkaMessageBus({ brokers: BENCH_SERVERS.kafkaBrokers, clientId: 'xsaga-bench' });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`baseline not ready:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /baseline ready (http:\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`baseline exited with ${code}:\n${output}`)));
    });
    const cpu = cpuWindow({ baseline: child.pid! });
    const run = await driveOrders({ url, bus: observer, factsTopic: `${prefix}.order-events`, options, runId: id });
    const result = scenarioResult('raw baseline', options, run, cpu.end(options.warmup + options.sagas), [
      "the order mix of the xsaga scenarios, with xsaga's rows, messages, Redis operations and documents per saga (bench/IO.md)",
    ]);
    if (!options.countIo) return result;
    await stop();
    return { ...result, io: await ioCountsOf(BENCH_SERVERS, { schema: id, topicPrefix: prefix, indexPattern: `${id}-orders` }) };
  } finally {
    await observer.close();
    await stop();
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
