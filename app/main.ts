import { parseArgs } from 'node:util';
import { isXsagaError, XsagaError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { rebuildViews } from '../runtime/rebuildViews.ts';
import { runArchiveCommand } from './commands/archive.ts';
import { runCheckCommand } from './commands/check.ts';
import { runDeployCheckCommand } from './commands/deployCheck.ts';
import { runMigrateCommand } from './commands/migrate.ts';
import { runExportCommand } from './commands/export.ts';
import { runInspectCommand } from './commands/inspect.ts';
import { runSagasCommand } from './commands/sagas.ts';
import { runVerifyReplayCommand } from './commands/verifyReplay.ts';
import { loadConfig, ROLES, type Config, type Role } from './config.ts';
import { createAdapters } from './createAdapters.ts';
import { createLogger } from './createLogger.ts';
import { formatDemoResult, runDemo } from './demo.ts';
import { MACHINE_VERSIONS_SETTING } from './machineVersionLimits.ts';
import { inspectOptionsFrom, inspectSystem } from './inspect.ts';
import { sagaCatalog } from './sagaCatalog.ts';
import { describeOperatorKey, ensureOperatorKey } from './operatorKey.ts';
import { startSystem, type System, type SystemAdapters } from './system.ts';
import { startTracing } from './tracing.ts';

const USAGE = `usage: xsaga <command> [options]

commands:
  start [--inspect[=PORT]]   run the roles in XSAGA_ROLES (all by default) in one process;
                             --inspect streams live sagas to the Stately inspector
  api | worker | participants | projector | relay
                             run one role (production mode); start more to scale out
  rebuild-read-model         replay the event store into a fresh index, then switch the alias
  demo [--orders N] [--concurrency C] [--timeout-ms T] [--<saga flag> N]
                             send N orders with every failure mode and check the invariants;
                             each other hosted saga with a demo adds its flag (N sagas of it)
  export <machine> [--version N] [--format json|code] [--out FILE] | export --list
                             a machine's definition, for Stately Studio
  inspect <sagaId> [--port N] [--from start|latest] [--exit]
                             restore one saga, without side effects, in the Stately inspector
  check [--json]             static saga-safety checks of every registered machine
  verify-replay [--stream <id>]... [--json] | --archive <dir>
                             replay stored (or archived) streams; compare with stored snapshots and statuses
  deploy-check [--json]      the deploy gate: replay every active saga with this code's machines; exit 1 refuses
  migrate <machine> --from N --to M [--where state=S] [--dry-run] [--operator NAME]
                             move active sagas to another version with the migration the saga declares
  archive --older-than <age> --to <dir> [--limit N]
                             move finished sagas older than <age> (30d, 36h) to JSON Lines files, then delete them
  sagas list|retry|resume|cancel ...
                             what needs a human, and acting on it, through a running xsaga's admin API

environment: see README.md (XSAGA_MODE, PORT, XSAGA_DATA_DIR, XSAGA_PG_URL, XSAGA_KAFKA_BROKERS, ...)`;

/** The one logger of a process that runs roles: every line names the roles, so that the lines of many processes can be told apart. */
const loggerFor = (config: Config): Logger => createLogger({ level: config.logLevel, bindings: { roles: config.roles.join(',') || 'none' } });

/** Where this process connects, passwords masked by the logger: the first line of every role. */
function logStarting(config: Config, logger: Logger): void {
  const { production } = config;
  const servers = production
    ? { pgUrl: production.pgUrl, pgSchema: production.pgSchema, kafkaBrokers: production.kafkaBrokers, topicPrefix: production.topicPrefix, elasticsearchUrl: production.elasticsearchUrl, redisUrl: production.redisUrl }
    : { dataDir: config.dataDir };
  logger.info({ mode: config.mode, ...servers, node: process.version }, `xsaga starting: ${config.roles.join(', ') || 'no role'} (${config.mode})`);
}

/**
 * Starts the roles; in production mode, a server that does not answer yet (a broker restarting, a
 * database in recovery) is waited for, with backoff, instead of leaving a process half started.
 * A configuration error is not worth waiting for.
 */
async function startOnceServersAnswer(config: Config, logger: Logger): Promise<System> {
  for (let attempt = 1, waitMs = 1000; ; attempt++, waitMs = Math.min(waitMs * 2, 10_000)) {
    let adapters: SystemAdapters | undefined;
    try {
      adapters = await createAdapters(config, logger);
      return await startSystem({ config, adapters, logger, processMetrics: true });
    } catch (error) {
      await adapters?.close().catch(() => undefined);
      if (config.mode !== 'production' || isXsagaError(error, 'CONFIG')) throw error;
      logger.warn({ attempt, waitMs, err: error }, `could not start (attempt ${attempt}); trying again in ${waitMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

async function run(configured: Config, args: readonly string[] = []): Promise<void> {
  // Production mode refuses to start an API without keys (config.ts); the embedded default makes its own.
  const operator = configured.mode === 'embedded' && configured.roles.includes('api') && configured.apiKeys.length === 0 ? await ensureOperatorKey(configured.dataDir) : undefined;
  const config = operator ? { ...configured, apiKeys: [operator.entry] } : configured;
  const logger = loggerFor(config);
  logStarting(config, logger);
  // Before any role: the first request or message is already traced.
  const tracing = await startTracing(config.tracing);
  if (config.tracing.exporter !== 'none') logger.info({ endpoint: config.tracing.endpoint }, `tracing: spans of ${config.tracing.serviceName} go to ${config.tracing.endpoint}`);
  const system = await startOnceServersAnswer(config, logger);
  const where = config.mode === 'production' ? 'production' : `embedded, data in ${config.dataDir}`;
  // Tests, the chaos run and scripts wait for these lines' messages: `xsaga listening on <url>`, `xsaga ready`.
  if (config.roles.includes('api')) {
    const url = await system.listen();
    logger.info({ url }, `xsaga listening on ${url} (${where})`);
    // Not a log line: the person who started xsaga is told how to use their key (with :memory:, the key itself, as nobody can read it elsewhere).
    if (operator) console.log(describeOperatorKey(operator, url));
  }
  // Every role can be scraped: on the api's port with a viewer key, and here with none (loopback by default).
  if (config.metrics.port !== undefined) console.log(`xsaga metrics on ${await system.listenMetrics()}/metrics`);
  const inspection = inspectOptionsFrom(args, process.env);
  const inspector = inspection ? await inspectSystem(system, inspection, logger) : undefined;
  if (inspector) logger.info({ url: inspector.url }, `xsaga inspector on ${inspector.url}`);
  const versionLimits = process.env[MACHINE_VERSIONS_SETTING];
  // A process held back to older machine versions must say so: it cannot run sagas on the newer ones.
  if (versionLimits) logger.warn({ versionLimits }, `${MACHINE_VERSIONS_SETTING}=${versionLimits}: machine versions above these are not registered in this process`);
  logger.info(`xsaga ready: ${config.roles.join(', ')} (${where})`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    logger.info('xsaga stopping');
    await inspector?.stop();
    await system.stop();
    // After the roles: the spans of their last work are sent too.
    await tracing.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function rebuild(config: Config): Promise<void> {
  if (config.mode !== 'production') throw new XsagaError('CONFIG', 'The embedded read model is rebuilt at every start; rebuild-read-model is for production mode');
  const logger = loggerFor(config);
  const adapters = await createAdapters({ ...config, roles: [...ROLES] }, logger);
  const system = await startSystem({ config, adapters, logger });
  for (const [machineId, views] of system.viewStores) {
    if (!views.rebuild) throw new XsagaError('CONFIG', `The views of ${machineId} cannot be rebuilt behind an alias`);
    let count = 0;
    const { index } = await views.rebuild(async (target) => {
      count = await rebuildViews({ store: adapters.store, registry: system.registry, machineId, views: target });
    });
    // Views the projector wrote to the old index while the new one filled: versions make a second pass safe.
    await rebuildViews({ store: adapters.store, registry: system.registry, machineId, views });
    console.log(`${machineId}: views rebuilt, ${count} sagas into ${index}`);
  }
  await system.stop();
}

async function demo(args: string[]): Promise<void> {
  // Each hosted saga with a demo adds its flag (`--returns N`).
  const sagaFlags = sagaCatalog().sagas.flatMap((saga) => (saga.parts.demo ? [saga.parts.demo.flag] : []));
  const { values } = parseArgs({
    args,
    options: {
      orders: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '64' },
      'timeout-ms': { type: 'string', default: '300000' },
      ...Object.fromEntries(sagaFlags.map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  const whole = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new XsagaError('CONFIG', `--${name} must be a whole number ≥ 1, got "${value}"`);
    return n;
  };
  // The demo shortens the payment deadline so that orders whose payment never answers end quickly.
  const config = loadConfig({ XSAGA_PAYMENT_TIMEOUT_MS: '2000', ...process.env });
  const result = await runDemo(config, {
    orders: whole('orders', values.orders),
    concurrency: whole('concurrency', values.concurrency),
    timeoutMs: whole('timeout-ms', values['timeout-ms']),
    sagas: Object.fromEntries(
      sagaFlags.flatMap((flag) => {
        const value = (values as Record<string, string | undefined>)[flag];
        return value === undefined ? [] : [[flag, whole(flag, value)]];
      }),
    ),
  });
  console.log(formatDemoResult(result));
  const broken = result.sagaDemos.some((saga) => saga.violations.length > 0 || saga.pending > 0);
  if (result.invariants.violations.length > 0 || result.invariants.pending > 0 || broken) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'start') return run(loadConfig(process.env), rest);
  if ((ROLES as readonly string[]).includes(command ?? '')) return run(loadConfig(process.env, { roles: [command as Role] }), rest);
  if (command === 'export') {
    process.exitCode = await runExportCommand(rest);
    return;
  }
  if (command === 'inspect') {
    process.exitCode = await runInspectCommand(rest, process.env);
    return;
  }
  // rebuild-read-model, inspect, archive and verify-replay run no role (no API: no key needed); they read the stores.
  if (command === 'rebuild-read-model') return rebuild(loadConfig(process.env, { roles: [] }));
  if (command === 'demo') return demo(rest);
  if (command === 'check') {
    process.exitCode = await runCheckCommand(rest);
    return;
  }
  if (command === 'sagas') {
    process.exitCode = await runSagasCommand(rest);
    return;
  }
  if (command === 'archive') {
    process.exitCode = await runArchiveCommand(loadConfig(process.env, { roles: [] }), rest);
    return;
  }
  if (command === 'deploy-check') {
    process.exitCode = await runDeployCheckCommand(loadConfig(process.env, { roles: [] }), rest);
    return;
  }
  if (command === 'migrate') {
    process.exitCode = await runMigrateCommand(loadConfig(process.env, { roles: [] }), rest);
    return;
  }
  if (command === 'verify-replay') {
    process.exitCode = await runVerifyReplayCommand(loadConfig(process.env, { roles: [] }), rest);
    return;
  }
  console.error(USAGE);
  process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(isXsagaError(error, 'CONFIG') ? error.message : error);
  process.exitCode = 1;
});
