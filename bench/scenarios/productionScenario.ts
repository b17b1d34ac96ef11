import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { apiKeyHash } from '../../api/apiKey.ts';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { deleteTopicsWhere } from '../../adapters/kafka/kafkaTopics.ts';
import { topicsFor } from '../../orders/topics.ts';
import type { ScenarioOptions, ScenarioResult } from '../benchTypes.ts';
import { driveOrders, scenarioResult } from '../orderDriver.ts';
import { BENCH_SERVERS } from '../benchServers.ts';
import { BENCH_RETRY_ENV } from '../benchRetrySchedule.ts';
import { ioCountsOf, type IoCounts } from '../ioCounts.ts';
import { cpuWindow } from '../processStats.ts';
import { startRole, type RoleProcess } from './roleProcess.ts';


/**
 * Production mode on this machine: api, relay, `workers` saga workers, participants and projector as
 * separate processes on PostgreSQL (synchronous commit on), Kafka, Elasticsearch and Redis.
 */
export async function runProductionScenario(options: ScenarioOptions & { workers: number; singleProcess?: boolean; countIo?: boolean }): Promise<ScenarioResult> {
  const id = `bench_${Date.now().toString(36)}`;
  const env = {
    XSAGA_MODE: 'production',
    XSAGA_PG_URL: BENCH_SERVERS.pgUrl,
    XSAGA_PG_SCHEMA: id,
    XSAGA_KAFKA_BROKERS: BENCH_SERVERS.kafkaBrokers.join(','),
    XSAGA_TOPIC_PREFIX: id.replaceAll('_', '-'),
    XSAGA_ES_URL: BENCH_SERVERS.elasticsearchUrl,
    XSAGA_ES_ALIAS: id,
    // Each saga's views go behind `<prefix><view name>`: this run's own indices, never the shared `orders`.
    XSAGA_ES_PREFIX: `${id}-`,
    XSAGA_REDIS_URL: BENCH_SERVERS.redisUrl,
    XSAGA_PAYMENT_TIMEOUT_MS: '30000',
    ...BENCH_RETRY_ENV,
  };
  const roles: RoleProcess[] = [];
  const observerBus = createKafkaMessageBus({ brokers: BENCH_SERVERS.kafkaBrokers, clientId: 'xsaga-bench' });
  try {
    // The API refuses to start without keys in production mode; the driver uses only the open routes, so nobody needs the key itself.
    const apiKeys = { XSAGA_API_KEYS: `bench:viewer:${apiKeyHash(randomBytes(32).toString('base64url'))}` };
    const api = await startRole(options.singleProcess ? 'start' : 'api', { ...env, ...apiKeys, PORT: '0' }, options.singleProcess ? 'xsaga' : 'api');
    roles.push(api);
    if (!options.singleProcess) {
      roles.push(await startRole('relay', env));
      for (let i = 0; i < options.workers; i++) roles.push(await startRole('worker', env, `worker${i + 1}`));
      roles.push(await startRole('participants', env));
      roles.push(await startRole('projector', env));
    }
    const cpu = cpuWindow(Object.fromEntries(roles.map((r) => [r.name, r.pid])));
    const run = await driveOrders({ url: api.url!, bus: observerBus, factsTopic: topicsFor(env.XSAGA_TOPIC_PREFIX).orderEvents, options, runId: id });
    const result = scenarioResult(options.singleProcess ? 'production, one process' : `production, ${options.workers} worker${options.workers > 1 ? 's' : ''}`, options, run, cpu.end(options.warmup + options.sagas));
    if (!options.countIo) return result;
    // The statistics of PostgreSQL are complete once the processes that wrote are gone.
    for (const role of roles.splice(0).reverse()) await role.stop();
    const io: IoCounts = await ioCountsOf(BENCH_SERVERS, { schema: id, topicPrefix: env.XSAGA_TOPIC_PREFIX, indexPattern: id });
    return { ...result, io };
  } finally {
    for (const role of roles.reverse()) await role.stop();
    await observerBus.close();
    await dropBenchData(id);
  }
}

async function dropBenchData(id: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_SERVERS.pgUrl });
  await client.connect();
  await client.query(`drop schema if exists ${id} cascade`);
  await client.end();
  await fetch(`${BENCH_SERVERS.elasticsearchUrl}/${id}-*`, { method: 'DELETE' }).catch(() => undefined);
  await dropBenchTopics(id.replaceAll('_', '-'));
}

/** Deletes the topics whose names start with `prefix.`: each run creates its own. */
export async function dropBenchTopics(prefix: string): Promise<void> {
  await deleteTopicsWhere(BENCH_SERVERS.kafkaBrokers, (topic) => topic.startsWith(`${prefix}.`)).catch(() => undefined);
}
