import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { apiKeyHash } from '../api/apiKey.ts';
import { createElasticsearchOrderReadModel } from '../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createPgClient } from '../adapters/postgres/pgClient.ts';
import { createSqlSagaStore } from '../adapters/sql/sqlSagaStore.ts';
import { scenarioFor } from '../app/orderMix.ts';
import { sagaCatalog } from '../app/sagaCatalog.ts';
import { checkInvariants } from '../orders/invariants.ts';
import { runOpenLoop, type SubmittedOrder } from './chaosClient.ts';
import { checkChaosRun, type InvariantResult } from './checker.ts';
import { faultSchedule, type FaultKind } from './faultSchedule.ts';
import { createRoleFleet, type RoleFleet, type RoleName } from './roleFleet.ts';
import { freePort } from './servers/freePort.ts';
import { startOwnElasticsearch } from './servers/ownElasticsearch.ts';
import { startOwnKafka } from './servers/ownKafka.ts';
import { startOwnPostgres } from './servers/ownPostgres.ts';
import { startOwnRedis } from './servers/ownRedis.ts';
import type { OwnServer } from './servers/ownServer.ts';
import { runWindows, type RunWindows } from './runWindows.ts';

export type ChaosOptions = Readonly<{
  durationMs: number;
  ratePerSecond: number;
  faults: readonly FaultKind[];
  /** How many times each fault kind is injected. */
  repeats: number;
  /** How long Elasticsearch stays down, a paused process stays paused, and a killed one stays dead. */
  elasticsearchOutageMs: number;
  pauseMs: number;
  restartAfterMs: number;
  /** How long after the load the run waits for every accepted order to end. */
  drainTimeoutMs: number;
  /** Transient participant failures on top of the demo's failure mix (XSAGA_CHAOS_FAILURE_RATE). */
  failureRate: number;
  paymentTimeoutMs: number;
  /** Logs and server data go under this directory. */
  workDir: string;
  /** Leave the servers' data and the logs in `workDir` afterwards. */
  keep: boolean;
  log: (line: string) => void;
  /** Aborting it (Ctrl-C) ends the run at once: the roles are stopped and the servers removed (or kept with `keep`). */
  signal?: AbortSignal;
}>;

/** A fault as it happened. */
export type FaultRecord = Readonly<{ kind: FaultKind; target: string; startedAt: number; endedAt: number; error?: string }>;

export type ChaosReport = Readonly<{
  options: ChaosOptions;
  startedAt: number;
  loadEndedAt: number;
  drainedAt: number;
  faults: readonly FaultRecord[];
  orders: Readonly<{ sent: number; accepted: number; completed: number; failed: number; failedByReason: Readonly<Record<string, number>>; clientRetries: number; paymentTimeoutsInMix: number }>;
  invariants: readonly InvariantResult[];
  windows: RunWindows;
  workDir: string;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Servers = Readonly<{ postgres: OwnServer; redis: OwnServer; kafka: OwnServer; elasticsearch: OwnServer }>;

async function startServers(workDir: string, log: (line: string) => void): Promise<Servers> {
  log('starting own PostgreSQL, Redis, Kafka and Elasticsearch');
  const started = await Promise.allSettled([
    startOwnPostgres({ dir: join(workDir, 'postgres') }),
    startOwnRedis({}),
    startOwnKafka({ dir: join(workDir, 'kafka') }),
    startOwnElasticsearch({ dir: join(workDir, 'elasticsearch') }),
  ]);
  const failed = started.filter((s) => s.status === 'rejected');
  if (failed.length > 0) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.dispose() : undefined)));
    throw new Error(`could not start the chaos run's servers: ${failed.map((f) => (f as PromiseRejectedResult).reason).join('; ')}`);
  }
  const [postgres, redis, kafka, elasticsearch] = started.map((s) => (s as PromiseFulfilledResult<OwnServer>).value) as [OwnServer, OwnServer, OwnServer, OwnServer];
  log(`servers: ${[postgres, redis, kafka, elasticsearch].map((s) => `${s.kind} ${s.address}`).join(', ')}`);
  return { postgres, redis, kafka, elasticsearch };
}

/**
 * Starts a server the run stopped, as its supervisor would: a start that fails (on a starved machine
 * a JVM can miss its start-up deadline) is tried again, so that one slow start does not end the run.
 */
async function startAgainWith(server: OwnServer, log: (line: string) => void, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await server.start();
    } catch (error) {
      if (attempt >= attempts) throw error;
      log(`${server.kind} did not start (attempt ${attempt} of ${attempts}): ${(error as Error).message.split('\n')[0]}; trying again`);
    }
  }
}

/** The relay process holding the leader lock: the one that said so last. */
function relayLeader(fleet: RoleFleet): string {
  const relays = fleet.members('relay');
  return relays.find((member) => /leading relay/.test(member.outputSinceStart()))?.name ?? relays[0]!.name;
}

/**
 * A chaos run: production mode as separate role processes on servers this run owns, an open-loop
 * client, a schedule of faults, then — once every accepted order has ended — the checker.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  const workDir = resolve(options.workDir);
  mkdirSync(join(workDir, 'logs'), { recursive: true });
  const servers = await startServers(workDir, log);
  // An interrupted run rejects at once; the `finally` below then stops what it started.
  const interrupted = new Promise<never>((_, reject) => {
    if (options.signal?.aborted) reject(new Error('chaos run interrupted'));
    options.signal?.addEventListener('abort', () => reject(new Error('chaos run interrupted')), { once: true });
  });
  interrupted.catch(() => undefined);
  const apiPort = await freePort();
  const viewerKey = randomBytes(32).toString('base64url');
  const env = {
    XSAGA_MODE: 'production',
    XSAGA_PG_URL: servers.postgres.address,
    XSAGA_KAFKA_BROKERS: servers.kafka.address,
    XSAGA_ES_URL: servers.elasticsearch.address,
    XSAGA_REDIS_URL: servers.redis.address,
    XSAGA_TOPIC_PREFIX: 'chaos',
    XSAGA_ES_ALIAS: 'chaos-orders',
    XSAGA_PARTITIONS: '8',
    XSAGA_PAYMENT_TIMEOUT_MS: String(options.paymentTimeoutMs),
    XSAGA_CHAOS_FAILURE_RATE: String(options.failureRate),
  };
  const faultLog = join(workDir, 'logs', 'faults.log');
  const fleet = createRoleFleet({ env, logDir: join(workDir, 'logs'), log });
  const faults: FaultRecord[] = [];
  const sql = await createPgClient({ connectionString: servers.postgres.address, maxConnections: 4 });
  const readModel = await createElasticsearchOrderReadModel({ node: servers.elasticsearch.address, alias: env.XSAGA_ES_ALIAS });
  try {
    return await Promise.race([interrupted, runAndCheck()]);
  } finally {
    await fleet.stopAll();
    await readModel.close().catch(() => undefined);
    await sql.close().catch(() => undefined);
    for (const server of Object.values(servers) as OwnServer[]) await (options.keep ? server.stop() : server.dispose()).catch((error: unknown) => log(`${server.kind}: ${(error as Error).message}`));
  }

  async function runAndCheck(): Promise<ChaosReport> {
    // The api creates the topics and the schema; the rest then start side by side.
    await fleet.start('api', 'api', { PORT: String(apiPort), XSAGA_API_KEYS: `chaos:viewer:${apiKeyHash(viewerKey)}` });
    const members: [RoleName, string][] = [
      ['relay', 'relay-1'],
      ['relay', 'relay-2'],
      ['worker', 'worker-1'],
      ['worker', 'worker-2'],
      ['participants', 'participants-1'],
      ['participants', 'participants-2'],
      ['projector', 'projector-1'],
    ];
    for (const [role, name] of members) await fleet.start(role, name);
    log(`roles up: ${fleet.members().map((m) => `${m.name} (pid ${m.pid()})`).join(', ')}`);

    // Round-robin per role, passing over a process another fault is still working on.
    const turns = new Map<RoleName, number>();
    const busy = new Set<string>();
    const pick = (role: RoleName) => {
      const candidates = fleet.members(role).map((m) => m.name);
      const turn = turns.get(role) ?? 0;
      turns.set(role, turn + 1);
      const rotated = [...candidates.slice(turn % candidates.length), ...candidates.slice(0, turn % candidates.length)];
      return rotated.find((name) => !busy.has(name)) ?? rotated[0]!;
    };
    const onMember = async (target: string, fault: () => Promise<void>): Promise<string> => {
      busy.add(target);
      try {
        await fault();
        return target;
      } finally {
        busy.delete(target);
      }
    };
    const startAgain = (server: OwnServer) => startAgainWith(server, log);
    const inject = async (kind: FaultKind): Promise<string> => {
      switch (kind) {
        case 'kill-worker':
        case 'kill-participants':
        case 'kill-projector':
        case 'kill-api': {
          const target = pick(kind.slice('kill-'.length) as RoleName);
          return onMember(target, () => fleet.killAndRestart(target, options.restartAfterMs));
        }
        case 'kill-relay-leader': {
          const target = relayLeader(fleet);
          return onMember(target, () => fleet.killAndRestart(target, options.restartAfterMs));
        }
        case 'pause-worker': {
          const target = pick('worker');
          return onMember(target, () => fleet.pause(target, options.pauseMs));
        }
        case 'pause-relay-leader': {
          const target = relayLeader(fleet);
          return onMember(target, () => fleet.pause(target, options.pauseMs));
        }
        case 'restart-kafka':
          await servers.kafka.stop({ hard: true });
          await sleep(options.restartAfterMs);
          await startAgain(servers.kafka);
          return 'kafka (SIGKILL)';
        case 'restart-postgres':
          await servers.postgres.stop();
          await startAgain(servers.postgres);
          return 'postgres (fast shutdown)';
        case 'restart-redis':
          await servers.redis.stop({ hard: true });
          await sleep(options.restartAfterMs);
          await startAgain(servers.redis);
          return 'redis (SIGKILL, keys lost)';
        case 'stop-elasticsearch':
          await servers.elasticsearch.stop({ hard: true });
          await sleep(options.elasticsearchOutageMs);
          await startAgain(servers.elasticsearch);
          return `elasticsearch (down ${options.elasticsearchOutageMs / 1000} s)`;
      }
    };

    const schedule = faultSchedule({
      kinds: options.faults,
      repeats: options.repeats,
      durationMs: options.durationMs,
      quietStartMs: Math.min(20_000, options.durationMs * 0.15),
      quietEndMs: Math.min(45_000, options.durationMs * 0.25),
    });
    const startedAt = Date.now();
    log(`load: ${options.ratePerSecond} orders/s for ${options.durationMs / 1000} s; ${schedule.length} faults`);
    const injecting = schedule.map(async ({ kind, atMs }) => {
      await sleep(startedAt + atMs - Date.now());
      const began = Date.now();
      log(`fault ${kind} …`);
      try {
        const target = await inject(kind);
        faults.push({ kind, target, startedAt: began, endedAt: Date.now() });
        appendFileSync(faultLog, `${new Date(began).toISOString()} ${new Date().toISOString()} ${kind} ${target}\n`);
        log(`fault ${kind} on ${target} over after ${((Date.now() - began) / 1000).toFixed(1)} s`);
      } catch (error) {
        faults.push({ kind, target: '?', startedAt: began, endedAt: Date.now(), error: (error as Error).message });
        log(`fault ${kind} could not be injected: ${(error as Error).message}`);
      }
    });
    const orders = await runOpenLoop({ url: `http://127.0.0.1:${apiPort}`, ratePerSecond: options.ratePerSecond, durationMs: options.durationMs, keyPrefix: `chaos-${startedAt.toString(36)}` });
    const loadEndedAt = Date.now();
    await Promise.all(injecting);
    log(`load over: ${orders.length} sent, ${orders.filter((o) => o.orderId).length} accepted; draining`);

    const drainedAt = await drain(sql, readModel, orders, options.drainTimeoutMs, log);
    const catalog = sagaCatalog({ prefix: env.XSAGA_TOPIC_PREFIX });
    const store = await createSqlSagaStore(sql, { migrate: false });
    const invariants = await checkChaosRun({
      sql,
      store,
      registry: catalog.registry,
      readModel,
      orders,
      unexpectedExits: fleet.unexpectedExits(),
      leftBehindAfterMs: 30_000,
    });
    invariants.push({ rule: 'every scheduled fault injected', violations: faults.filter((f) => f.error).length, examples: faults.filter((f) => f.error).map((f) => `${f.kind}: ${f.error}`) });
    const outcome = await checkInvariants({ sql, store, readModel });
    const ends = await sql.query<{ stream_id: string; updated_at: Date }>(`select stream_id, updated_at from xsaga_streams where status = 'done'`);
    const endOf = new Map(ends.rows.map((row) => [row.stream_id, new Date(row.updated_at).getTime()]));
    return {
      options,
      startedAt,
      loadEndedAt,
      drainedAt,
      faults,
      orders: {
        sent: orders.length,
        accepted: orders.filter((o) => o.orderId).length,
        completed: outcome.completed,
        failed: Object.values(outcome.failedByReason).reduce((a, b) => a + b, 0),
        failedByReason: outcome.failedByReason,
        clientRetries: orders.reduce((sum, o) => sum + o.attempts - 1, 0),
        // Orders whose payment never answers by design; any other PAYMENT_TIMEOUT is a deadline a fault made it miss.
        paymentTimeoutsInMix: orders.filter((o) => o.orderId && scenarioFor(o.index).paymentToken === 'tok_no_answer').length,
      },
      invariants,
      windows: runWindows({ orders, endOf, faults, startedAt, loadEndedAt }),
      workDir,
    };
  }
}

/** Waits until every accepted order has ended in the event store and the read model shows as many ended orders. */
async function drain(
  sql: Awaited<ReturnType<typeof createPgClient>>,
  readModel: Awaited<ReturnType<typeof createElasticsearchOrderReadModel>>,
  orders: readonly SubmittedOrder[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<number> {
  const ids = orders.flatMap((o) => (o.orderId ? [o.orderId] : []));
  const deadline = Date.now() + timeoutMs;
  let lastSaid = 0;
  for (;;) {
    const active = await sql.query<{ n: string }>(`select count(*) as n from xsaga_streams where status = 'active' and stream_id = any($1::text[])`, [ids]).catch(() => undefined);
    const done = await sql.query<{ n: string }>(`select count(*) as n from xsaga_streams where status = 'done'`).catch(() => undefined);
    const projected = await readModel.countByStatus().catch(() => undefined);
    const ended = projected ? projected.COMPLETED + projected.FAILED : -1;
    if (active && done && Number(active.rows[0]!.n) === 0 && ended === Number(done.rows[0]!.n)) return Date.now();
    if (Date.now() > deadline) {
      log(`drain: gave up after ${timeoutMs / 1000} s (${active?.rows[0]?.n ?? '?'} accepted orders still active, read model shows ${ended} of ${done?.rows[0]?.n ?? '?'} ended)`);
      return Date.now();
    }
    if (Date.now() - lastSaid > 10_000) {
      lastSaid = Date.now();
      log(`drain: ${active?.rows[0]?.n ?? '?'} accepted orders active, read model shows ${ended} of ${done?.rows[0]?.n ?? '?'} ended`);
    }
    await sleep(1000);
  }
}
