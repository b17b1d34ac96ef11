import { readFileSync } from 'node:fs';
import { API_ROLES, type ApiKey, type ApiRole } from '../api/apiKey.ts';
import { XsagaError, type FieldError } from '../runtime/errors.ts';
import { KAFKA_GROUP_MEMBERSHIP } from '../adapters/kafka/groupMembership.ts';
import type { ViewIndexTuning } from '../adapters/elasticsearch/viewIndex.ts';
import type { RetentionPolicy } from '../runtime/sagaStore.ts';
import { readTracingConfig, type TracingConfig } from './tracingConfig.ts';
import { withoutPassword } from './withoutPassword.ts';

export const ROLES = ['api', 'worker', 'participants', 'projector', 'relay'] as const;
export type Role = (typeof ROLES)[number];

/** The levels `XSAGA_LOG_LEVEL` takes: pino's, `silent` writing nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

/** Where the production adapters find their servers. */
export type ProductionConfig = Readonly<{
  pgUrl: string;
  pgSchema: string;
  kafkaBrokers: readonly string[];
  topicPrefix: string;
  elasticsearchUrl: string;
  /** The alias the read model is served behind; each rebuild creates a new index under it. */
  ordersAlias: string;
  /** Put before the view name of every other saga to make its index alias (`returns` → `<prefix>returns`). */
  viewIndexPrefix: string;
  /** What the view indices trade for cheaper writes, the event store being their backup (docs/decisions/0023). */
  viewIndexTuning: ViewIndexTuning;
  redisUrl: string;
  /** Kafka fetches wait up to this long for `kafkaFetchMinBytes`: larger batches, one transaction each. */
  kafkaFetchMaxWaitMs: number;
  kafkaFetchMinBytes: number;
  /** Handled offsets are committed at most this often (0: after every batch); a crash redelivers at most that much. */
  kafkaCommitIntervalMs: number;
  /** A consumer silent this long leaves its group and its partitions move (docs/decisions/0013). */
  kafkaSessionTimeoutMs: number;
  /** A rebalance waits this long for the members to rejoin. */
  kafkaRebalanceTimeoutMs: number;
  kafkaHeartbeatIntervalMs: number;
}>;

/** Everything xsaga reads from its environment, checked once at start-up. */
export type Config = Readonly<{
  mode: 'embedded' | 'production';
  /** The roles this process runs; all of them by default. */
  roles: readonly Role[];
  production?: ProductionConfig;
  /** How long `GET /orders/:id?minVersion=` waits for the projection. */
  minVersionWaitMs: number;
  /** How long a read of the read model may take before the API reads the event store or answers 503. */
  readModelTimeoutMs: number;
  /** How long the projector lets a saga's facts gather before it writes the newest (docs/decisions/0022). */
  projectorBatchWindowMs: number;
  port: number;
  dataDir: string;
  paymentTimeoutMs: number;
  maxAttempts: number;
  /** Backoff between attempts of a step or compensation (full jitter under base × 2^(retry − 1), capped). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** A compensation that failed this many times in a row parks for a human. */
  parkAfterAttempts: number;
  /** Orders above this total (minor units) get a fraud review (order saga v2). */
  fraudReviewAboveMinor: number;
  /** How long a doubtful order waits for an operator's decision before it is rejected. */
  fraudReviewDeadlineMs: number;
  /** How long the fraud scorer may stay silent before an operator decides instead. */
  fraudScoreTimeoutMs: number;
  /** Attempts at an inbox message whose saga cannot be loaded before it is dead-lettered. */
  poisonAttempts: number;
  snapshotEvery: number;
  actorCacheSize: number;
  partitions: number;
  chaos: Readonly<{ failureRate: number; latencyMs: number }>;
  /**
   * The keys of the guarded HTTP routes (`XSAGA_API_KEYS` or `XSAGA_API_KEYS_FILE`). Required in
   * production mode when the api role runs; the embedded `start` makes an operator key when empty.
   */
  apiKeys: readonly ApiKey[];
  /** What the relay's leader prunes, and how often (`intervalMs` 0: never). */
  retention: Readonly<{ policy: RetentionPolicy; intervalMs: number }>;
  /** OpenTelemetry traces (`OTEL_*`); off unless `OTEL_TRACES_EXPORTER=otlp`. */
  tracing: TracingConfig;
  /** The least severe level written to the log (`debug`: every saga's every step). */
  logLevel: LogLevelSetting;
  /** The keyless `GET /metrics` listener: none unless `port` is set (0: any free port). */
  metrics: Readonly<{ port: number | undefined; host: string }>;
}>;

type Env = Readonly<Record<string, string | undefined>>;

type Reader = Readonly<{
  integer(name: string, fallback: number, min: number, max: number): number;
  ratio(name: string, fallback: number): number;
  text(name: string, fallback: string): string;
  required(name: string, pattern: RegExp, hint: string): string;
  oneOf(name: string, allowed: readonly string[], fallback: string): string;
}>;

const URL_OF = (scheme: string) => new RegExp(`^${scheme}://[^\\s]+$`);
const BROKERS = /^[A-Za-z0-9.-]+:\d+(,[A-Za-z0-9.-]+:\d+)*$/;
const NAME = /^[a-z][a-z0-9_.-]{0,62}$/;
/** An Elasticsearch time value as `refresh_interval` takes it (`-1`: never). */
const TIME_VALUE = /^(-1|\d+(ms|s|m|h))$/;
const KEY_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
/** An IPv4 or IPv6 address, or a host name: where the metrics listener binds. */
const HOST = /^([A-Za-z0-9.-]+|[0-9A-Fa-f:.]+)$/;

function readRoles(value: string, errors: FieldError[]): Role[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || roles.length === 0) {
    errors.push({ field: 'XSAGA_ROLES', detail: `must be a comma-separated list of ${ROLES.join(', ')}, got "${value}"` });
    return [...ROLES];
  }
  return roles as Role[];
}

function reader(env: Env, errors: FieldError[]): Reader {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  return {
    integer(name, fallback, min, max) {
      const value = raw(name);
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        errors.push({ field: name, detail: `must be a whole number from ${min} to ${max}, got "${value}"` });
        return fallback;
      }
      return n;
    },
    ratio(name, fallback) {
      const value = raw(name);
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        errors.push({ field: name, detail: `must be a number from 0 to 1, got "${value}"` });
        return fallback;
      }
      return n;
    },
    text: (name, fallback) => raw(name) ?? fallback,
    required(name, pattern, hint) {
      const value = raw(name);
      if (value === undefined) errors.push({ field: name, detail: `is required in production mode (${hint})` });
      // The error is printed: a URL's password must not be.
      else if (!pattern.test(value)) errors.push({ field: name, detail: `must be ${hint}, got "${withoutPassword(value)}"` });
      return value ?? '';
    },
    oneOf(name, allowed, fallback) {
      const value = raw(name) ?? fallback;
      if (!allowed.includes(value)) errors.push({ field: name, detail: `must be one of ${allowed.join(', ')}, got "${value}"` });
      return value;
    },
  };
}

type KeyLine = Readonly<{ text: string; where: string }>;

/**
 * `name:role:sha256hex` lines. An error names the line and, once it is known to be one, the name,
 * but never echoes the line: a key pasted where its hash belongs must not reach a log.
 */
function readKeyLines(field: string, lines: readonly KeyLine[], errors: FieldError[]): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const { text, where } of lines) {
    const parts = text.split(':').map((part) => part.trim());
    const [name = '', role = '', sha256 = ''] = parts;
    if (parts.length !== 3 || !KEY_NAME.test(name)) {
      errors.push({ field, detail: `${where} must be name:role:sha256hex, the name 1-64 letters, digits, ".", "_", "@" or "-"` });
      continue;
    }
    const fault = !(API_ROLES as readonly string[]).includes(role)
      ? `the role must be one of ${API_ROLES.join(', ')}`
      : !SHA256_HEX.test(sha256)
        ? 'the third field must be the SHA-256 of the key as 64 hex digits (printf %s "$KEY" | sha256sum), not the key'
        : keys.some((key) => key.name === name)
          ? 'the name is used twice'
          : keys.some((key) => key.sha256 === sha256.toLowerCase())
            ? 'the same key is configured twice'
            : undefined;
    if (fault) errors.push({ field, detail: `${where} ("${name}"): ${fault}` });
    else keys.push({ name, role: role as ApiRole, sha256: sha256.toLowerCase() });
  }
  if (lines.length === 0) errors.push({ field, detail: 'lists no key' });
  return keys;
}

/** The API keys from `XSAGA_API_KEYS` (comma-separated) or the file `XSAGA_API_KEYS_FILE` (one a line, `#` comments). */
function readApiKeys(read: Reader, errors: FieldError[]): ApiKey[] {
  const inline = read.text('XSAGA_API_KEYS', '');
  const file = read.text('XSAGA_API_KEYS_FILE', '');
  if (inline !== '' && file !== '') {
    errors.push({ field: 'XSAGA_API_KEYS_FILE', detail: 'cannot be set together with XSAGA_API_KEYS; set one of them' });
    return [];
  }
  if (inline !== '') {
    const entries = inline.split(',').map((text, i) => ({ text: text.trim(), where: `entry ${i + 1}` }));
    return readKeyLines('XSAGA_API_KEYS', entries.filter((entry) => entry.text !== ''), errors);
  }
  if (file === '') return [];
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    errors.push({ field: 'XSAGA_API_KEYS_FILE', detail: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (${file})` });
    return [];
  }
  const lines = content
    .split(/\r?\n/)
    .map((text, i) => ({ text: text.replace(/#.*$/, '').trim(), where: `line ${i + 1} of ${file}` }))
    .filter((line) => line.text !== '');
  return readKeyLines('XSAGA_API_KEYS_FILE', lines, errors);
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * Retention windows (docs/decisions/0015). Applied ids must outlive every redelivery: 15 days is
 * Kafka's default retention plus the week a record may wait in its segment before that starts, and
 * a minute is the longest offset-commit interval, the redelivery of a crash.
 */
function readRetention(read: Reader): Config['retention'] {
  return {
    policy: {
      publishedOutboxMs: read.integer('XSAGA_RETAIN_PUBLISHED_OUTBOX_MS', 3_600_000, 0, 365 * DAY_MS),
      appliedMessageIdsMs: read.integer('XSAGA_RETAIN_APPLIED_IDS_MS', 15 * DAY_MS, MINUTE_MS, 365 * DAY_MS),
      idempotencyKeysMs: read.integer('XSAGA_RETAIN_IDEMPOTENCY_KEYS_MS', DAY_MS, 0, 365 * DAY_MS),
      batchSize: read.integer('XSAGA_RETENTION_BATCH_SIZE', 1000, 1, 100_000),
    },
    intervalMs: read.integer('XSAGA_RETENTION_INTERVAL_MS', MINUTE_MS, 0, DAY_MS),
  };
}

export type LoadConfigOptions = Readonly<{
  /** The roles this process runs when its command decides them (`xsaga worker`, `xsaga verify-replay`: none), instead of `XSAGA_ROLES`. */
  roles?: readonly Role[];
}>;

/** Reads and validates the configuration; one error lists every bad variable. */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const errors: FieldError[] = [];
  const read = reader(env, errors);
  const mode = read.oneOf('XSAGA_MODE', ['embedded', 'production'], 'embedded') as Config['mode'];
  const production: ProductionConfig | undefined =
    mode === 'production'
      ? {
          pgUrl: read.required('XSAGA_PG_URL', URL_OF('postgres(ql)?'), 'a postgres:// URL'),
          pgSchema: read.text('XSAGA_PG_SCHEMA', 'public'),
          kafkaBrokers: read.required('XSAGA_KAFKA_BROKERS', BROKERS, 'host:port[,host:port…]').split(','),
          topicPrefix: read.text('XSAGA_TOPIC_PREFIX', 'xsaga'),
          elasticsearchUrl: read.required('XSAGA_ES_URL', URL_OF('https?'), 'an http:// URL'),
          ordersAlias: read.text('XSAGA_ES_ALIAS', 'orders'),
          viewIndexPrefix: read.text('XSAGA_ES_PREFIX', ''),
          viewIndexTuning: {
            translogDurability: read.oneOf('XSAGA_ES_TRANSLOG_DURABILITY', ['request', 'async'], 'request') as ViewIndexTuning['translogDurability'],
            refreshInterval: read.text('XSAGA_ES_REFRESH_INTERVAL', '1s'),
          },
          redisUrl: read.required('XSAGA_REDIS_URL', URL_OF('rediss?'), 'a redis:// URL'),
          kafkaFetchMaxWaitMs: read.integer('XSAGA_KAFKA_FETCH_MAX_WAIT_MS', 500, 0, 60_000),
          kafkaFetchMinBytes: read.integer('XSAGA_KAFKA_FETCH_MIN_BYTES', 1, 1, 64 * 1024 * 1024),
          kafkaCommitIntervalMs: read.integer('XSAGA_KAFKA_COMMIT_INTERVAL_MS', 1000, 0, 60_000),
          kafkaSessionTimeoutMs: read.integer('XSAGA_KAFKA_SESSION_TIMEOUT_MS', KAFKA_GROUP_MEMBERSHIP.sessionTimeoutMs, 1000, 1_800_000),
          kafkaRebalanceTimeoutMs: read.integer('XSAGA_KAFKA_REBALANCE_TIMEOUT_MS', KAFKA_GROUP_MEMBERSHIP.rebalanceTimeoutMs, 1000, 1_800_000),
          kafkaHeartbeatIntervalMs: read.integer('XSAGA_KAFKA_HEARTBEAT_INTERVAL_MS', KAFKA_GROUP_MEMBERSHIP.heartbeatIntervalMs, 100, 600_000),
        }
      : undefined;
  if (production && !NAME.test(production.pgSchema)) errors.push({ field: 'XSAGA_PG_SCHEMA', detail: `must be a lower-case SQL name, got "${production.pgSchema}"` });
  if (production && production.viewIndexPrefix !== '' && !NAME.test(production.viewIndexPrefix)) {
    errors.push({ field: 'XSAGA_ES_PREFIX', detail: `must be empty or a lower-case index name, got "${production.viewIndexPrefix}"` });
  }
  if (production && !TIME_VALUE.test(production.viewIndexTuning.refreshInterval)) {
    errors.push({ field: 'XSAGA_ES_REFRESH_INTERVAL', detail: `must be a time such as 500ms, 1s or 30s (-1: never), got "${production.viewIndexTuning.refreshInterval}"` });
  }
  if (production && !NAME.test(production.ordersAlias)) errors.push({ field: 'XSAGA_ES_ALIAS', detail: `must be a lower-case index name, got "${production.ordersAlias}"` });
  // Kafka's advice: a third of the session, so that a lost heartbeat or two do not end the membership.
  if (production && production.kafkaHeartbeatIntervalMs * 3 > production.kafkaSessionTimeoutMs) {
    errors.push({ field: 'XSAGA_KAFKA_HEARTBEAT_INTERVAL_MS', detail: `must be at most a third of XSAGA_KAFKA_SESSION_TIMEOUT_MS (${production.kafkaSessionTimeoutMs}), got ${production.kafkaHeartbeatIntervalMs}` });
  }
  if (production && !NAME.test(production.topicPrefix)) errors.push({ field: 'XSAGA_TOPIC_PREFIX', detail: `must be a lower-case name, got "${production.topicPrefix}"` });
  const roles = options.roles ? [...options.roles] : readRoles(read.text('XSAGA_ROLES', ROLES.join(',')), errors);
  const config: Config = {
    mode,
    roles,
    production,
    minVersionWaitMs: read.integer('XSAGA_MIN_VERSION_WAIT_MS', 2000, 0, 60_000),
    readModelTimeoutMs: read.integer('XSAGA_READ_MODEL_TIMEOUT_MS', 1000, 1, 60_000),
    // Where a document write costs (Elasticsearch), a saga's facts gather; the embedded read model writes in-process.
    projectorBatchWindowMs: read.integer('XSAGA_PROJECTOR_BATCH_WINDOW_MS', mode === 'production' ? 100 : 0, 0, 10_000),
    port: read.integer('PORT', 3000, 0, 65535),
    dataDir: read.text('XSAGA_DATA_DIR', './.xsaga'),
    paymentTimeoutMs: read.integer('XSAGA_PAYMENT_TIMEOUT_MS', 30_000, 1, 7 * 24 * 3600 * 1000),
    maxAttempts: read.integer('XSAGA_MAX_ATTEMPTS', 5, 1, 100),
    retryBaseMs: read.integer('XSAGA_RETRY_BASE_MS', 200, 1, 3_600_000),
    retryMaxMs: read.integer('XSAGA_RETRY_MAX_MS', 60_000, 1, 7 * 24 * 3600 * 1000),
    parkAfterAttempts: read.integer('XSAGA_PARK_AFTER_ATTEMPTS', 50, 1, 100_000),
    fraudReviewAboveMinor: read.integer('XSAGA_FRAUD_REVIEW_ABOVE', 100_000, 0, Number.MAX_SAFE_INTEGER),
    fraudReviewDeadlineMs: read.integer('XSAGA_FRAUD_REVIEW_DEADLINE_MS', 24 * 3600 * 1000, 1, 30 * 24 * 3600 * 1000),
    fraudScoreTimeoutMs: read.integer('XSAGA_FRAUD_SCORE_TIMEOUT_MS', 30_000, 1, 7 * 24 * 3600 * 1000),
    poisonAttempts: read.integer('XSAGA_POISON_ATTEMPTS', 3, 1, 100),
    snapshotEvery: read.integer('XSAGA_SNAPSHOT_EVERY', 25, 1, 100_000),
    actorCacheSize: read.integer('XSAGA_ACTOR_CACHE_SIZE', 10_000, 0, 10_000_000),
    partitions: read.integer('XSAGA_PARTITIONS', 8, 1, 1024),
    chaos: {
      failureRate: read.ratio('XSAGA_CHAOS_FAILURE_RATE', 0),
      latencyMs: read.integer('XSAGA_CHAOS_LATENCY_MS', 0, 0, 60_000),
    },
    apiKeys: readApiKeys(read, errors),
    retention: readRetention(read),
    tracing: readTracingConfig(env, roles, ROLES, errors),
    logLevel: read.oneOf('XSAGA_LOG_LEVEL', LOG_LEVELS, 'info') as LogLevelSetting,
    metrics: {
      port: env.XSAGA_METRICS_PORT?.trim() ? read.integer('XSAGA_METRICS_PORT', 0, 0, 65535) : undefined,
      host: read.text('XSAGA_METRICS_HOST', '127.0.0.1'),
    },
  };
  if (!HOST.test(config.metrics.host)) errors.push({ field: 'XSAGA_METRICS_HOST', detail: `must be an address or a host name, got "${config.metrics.host}"` });
  // No open door by default: a production API without keys would serve its reads to anyone or to no one.
  if (mode === 'production' && config.roles.includes('api') && config.apiKeys.length === 0 && !errors.some((e) => e.field.startsWith('XSAGA_API_KEYS'))) {
    errors.push({ field: 'XSAGA_API_KEYS', detail: 'is required in production mode when the api role runs (name:role:sha256hex,…; or XSAGA_API_KEYS_FILE)' });
  }
  if (errors.length > 0) {
    throw new XsagaError('CONFIG', `Invalid configuration: ${errors.map((e) => `${e.field} ${e.detail}`).join('; ')}`, { fieldErrors: errors });
  }
  return config;
}
