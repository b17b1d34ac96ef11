import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiKeyHash } from '../../api/apiKey.ts';
import { loadConfig, ROLES } from '../../app/config.ts';
import { isXsagaError, type XsagaError } from '../../runtime/errors.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { tempDataDir } from '../support/embeddedSystem.ts';

const failureOf = (env: Record<string, string>, options?: Parameters<typeof loadConfig>[1]): XsagaError => {
  try {
    loadConfig(env, options);
  } catch (error) {
    if (isXsagaError(error, 'CONFIG')) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
};

const production = {
  XSAGA_MODE: 'production',
  XSAGA_PG_URL: 'postgres://postgres@127.0.0.1:5432/test',
  XSAGA_KAFKA_BROKERS: '127.0.0.1:9092',
  XSAGA_ES_URL: 'http://127.0.0.1:9200',
  XSAGA_REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('configuration', () => {
  it('defaults to the embedded mode with every role', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ mode: 'embedded', port: 3000, dataDir: './.xsaga', paymentTimeoutMs: 30_000, poisonAttempts: 3, roles: [...ROLES] });
    expect(config.production).toBeUndefined();
  });

  it('reads the fraud review settings of order saga v2, with their defaults', () => {
    expect(loadConfig({})).toMatchObject({ fraudReviewAboveMinor: 100_000, fraudReviewDeadlineMs: 24 * 3600 * 1000, fraudScoreTimeoutMs: 30_000 });
    const set = loadConfig({ XSAGA_FRAUD_REVIEW_ABOVE: '0', XSAGA_FRAUD_REVIEW_DEADLINE_MS: '60000', XSAGA_FRAUD_SCORE_TIMEOUT_MS: '5000' });
    expect(set).toMatchObject({ fraudReviewAboveMinor: 0, fraudReviewDeadlineMs: 60_000, fraudScoreTimeoutMs: 5000 });
    const error = failureOf({ XSAGA_FRAUD_REVIEW_ABOVE: '-1', XSAGA_FRAUD_REVIEW_DEADLINE_MS: '0', XSAGA_FRAUD_SCORE_TIMEOUT_MS: 'soon' });
    expect(error.fieldErrors.map((e) => e.field).sort()).toEqual(['XSAGA_FRAUD_REVIEW_ABOVE', 'XSAGA_FRAUD_REVIEW_DEADLINE_MS', 'XSAGA_FRAUD_SCORE_TIMEOUT_MS']);
  });

  it('names every bad variable in one error', () => {
    const error = failureOf({ PORT: 'eighty', XSAGA_PAYMENT_TIMEOUT_MS: '0', XSAGA_CHAOS_FAILURE_RATE: '2', XSAGA_ROLES: 'api,cook', XSAGA_POISON_ATTEMPTS: '0' });
    expect(error.fieldErrors.map((e) => e.field).sort()).toEqual(['PORT', 'XSAGA_CHAOS_FAILURE_RATE', 'XSAGA_PAYMENT_TIMEOUT_MS', 'XSAGA_POISON_ATTEMPTS', 'XSAGA_ROLES']);
    expect(error.message).toContain('PORT must be a whole number from 0 to 65535, got "eighty"');
  });

  it('requires every server address in production mode', () => {
    const error = failureOf({ XSAGA_MODE: 'production', XSAGA_KAFKA_BROKERS: 'kafka' });
    expect(error.fieldErrors.map((e) => e.field).sort()).toEqual(['XSAGA_API_KEYS', 'XSAGA_ES_URL', 'XSAGA_KAFKA_BROKERS', 'XSAGA_PG_URL', 'XSAGA_REDIS_URL']);
  });

  it('reads the production servers and roles', () => {
    const config = loadConfig({ ...production, XSAGA_ROLES: 'worker, projector', XSAGA_KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9094' });
    expect(config.roles).toEqual(['worker', 'projector']);
    expect(config.production).toMatchObject({ kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9094'], ordersAlias: 'orders', pgSchema: 'public', topicPrefix: 'xsaga' });
  });

  it('reads the Kafka group membership settings, a heartbeat at most a third of the session', () => {
    const worker = { ...production, XSAGA_ROLES: 'worker' };
    expect(loadConfig(worker).production).toMatchObject({ kafkaSessionTimeoutMs: 10_000, kafkaRebalanceTimeoutMs: 20_000, kafkaHeartbeatIntervalMs: 1_000 });
    const tuned = loadConfig({ ...worker, XSAGA_KAFKA_SESSION_TIMEOUT_MS: '6000', XSAGA_KAFKA_REBALANCE_TIMEOUT_MS: '15000', XSAGA_KAFKA_HEARTBEAT_INTERVAL_MS: '2000' });
    expect(tuned.production).toMatchObject({ kafkaSessionTimeoutMs: 6000, kafkaRebalanceTimeoutMs: 15_000, kafkaHeartbeatIntervalMs: 2000 });
    expect(failureOf({ ...worker, XSAGA_KAFKA_HEARTBEAT_INTERVAL_MS: '4000' }).fieldErrors.map((e) => e.field)).toEqual(['XSAGA_KAFKA_HEARTBEAT_INTERVAL_MS']);
  });

  it('starts no keyless metrics listener unless XSAGA_METRICS_PORT is set, and binds it to loopback by default', () => {
    expect(loadConfig({}).metrics).toEqual({ port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ XSAGA_METRICS_PORT: '0' }).metrics).toEqual({ port: 0, host: '127.0.0.1' });
    expect(loadConfig({ XSAGA_METRICS_PORT: '9464', XSAGA_METRICS_HOST: '::1' }).metrics).toEqual({ port: 9464, host: '::1' });
    const failure = failureOf({ XSAGA_METRICS_PORT: '70000', XSAGA_METRICS_HOST: 'a host' });
    expect(failure.fieldErrors.map((e) => e.field).sort()).toEqual(['XSAGA_METRICS_HOST', 'XSAGA_METRICS_PORT']);
  });

  it("lets a saga's facts gather 100 ms before the projector writes them to Elasticsearch, and none embedded", () => {
    expect(loadConfig({}).projectorBatchWindowMs).toBe(0);
    expect(loadConfig(production, { roles: ['projector'] }).projectorBatchWindowMs).toBe(100);
    expect(loadConfig({ ...production, XSAGA_PROJECTOR_BATCH_WINDOW_MS: '0' }, { roles: ['projector'] }).projectorBatchWindowMs).toBe(0);
    expect(failureOf({ XSAGA_PROJECTOR_BATCH_WINDOW_MS: '-1' }).fieldErrors[0]?.field).toBe('XSAGA_PROJECTOR_BATCH_WINDOW_MS');
  });

  it('keeps the view indices durable with a 1 s refresh unless told to trade that for cheaper writes', () => {
    expect(loadConfig(production, { roles: ['projector'] }).production?.viewIndexTuning).toEqual({ translogDurability: 'request', refreshInterval: '1s' });
    const traded = loadConfig({ ...production, XSAGA_ES_TRANSLOG_DURABILITY: 'async', XSAGA_ES_REFRESH_INTERVAL: '30s' }, { roles: ['projector'] });
    expect(traded.production?.viewIndexTuning).toEqual({ translogDurability: 'async', refreshInterval: '30s' });
    const error = failureOf({ ...production, XSAGA_ES_TRANSLOG_DURABILITY: 'never', XSAGA_ES_REFRESH_INTERVAL: 'soon' }, { roles: ['projector'] });
    expect(error.fieldErrors.map((e) => e.field).sort()).toEqual(['XSAGA_ES_REFRESH_INTERVAL', 'XSAGA_ES_TRANSLOG_DURABILITY']);
  });

  it('rejects an unknown mode and unsafe names', () => {
    expect(failureOf({ XSAGA_MODE: 'cloud' }).fieldErrors[0]?.field).toBe('XSAGA_MODE');
    expect(failureOf({ ...production, XSAGA_PG_SCHEMA: 'x; drop table' }).fieldErrors[0]?.field).toBe('XSAGA_PG_SCHEMA');
  });
});

describe('retention', () => {
  it('keeps published outbox rows an hour, applied ids 15 days, idempotency keys a day, and prunes every minute', () => {
    expect(loadConfig({}).retention).toEqual({
      policy: { publishedOutboxMs: 3_600_000, appliedMessageIdsMs: 15 * 86_400_000, idempotencyKeysMs: 86_400_000, batchSize: 1000 },
      intervalMs: 60_000,
    });
  });

  it('reads the windows, the interval (0: never) and the batch size', () => {
    const config = loadConfig({
      XSAGA_RETAIN_PUBLISHED_OUTBOX_MS: '0',
      XSAGA_RETAIN_APPLIED_IDS_MS: '60000',
      XSAGA_RETAIN_IDEMPOTENCY_KEYS_MS: '5000',
      XSAGA_RETENTION_INTERVAL_MS: '0',
      XSAGA_RETENTION_BATCH_SIZE: '50',
    });
    expect(config.retention).toEqual({ policy: { publishedOutboxMs: 0, appliedMessageIdsMs: 60_000, idempotencyKeysMs: 5000, batchSize: 50 }, intervalMs: 0 });
  });

  it('refuses an applied-id window shorter than a redelivery after a crash, and other bad values', () => {
    const error = failureOf({ XSAGA_RETAIN_APPLIED_IDS_MS: '59999', XSAGA_RETAIN_PUBLISHED_OUTBOX_MS: '-1', XSAGA_RETENTION_BATCH_SIZE: '0', XSAGA_RETENTION_INTERVAL_MS: 'often' });
    expect(error.fieldErrors.map((e) => e.field).sort()).toEqual([
      'XSAGA_RETAIN_APPLIED_IDS_MS',
      'XSAGA_RETAIN_PUBLISHED_OUTBOX_MS',
      'XSAGA_RETENTION_BATCH_SIZE',
      'XSAGA_RETENTION_INTERVAL_MS',
    ]);
    expect(error.message).toContain('XSAGA_RETAIN_APPLIED_IDS_MS must be a whole number from 60000 to 31536000000, got "59999"');
  });
});

describe('API keys', () => {
  const hashOf = (key: string) => apiKeyHash(key);

  it('has none by default in the embedded mode (xsaga start makes an operator key then)', () => {
    expect(loadConfig({}).apiKeys).toEqual([]);
  });

  it('reads XSAGA_API_KEYS: name:role:sha256hex, comma-separated, the hash in lower case', () => {
    const config = loadConfig({ XSAGA_API_KEYS: ` ops:operator:${hashOf('a').toUpperCase()} , dash.board:viewer:${hashOf('b')},` });
    expect(config.apiKeys).toEqual([
      { name: 'ops', role: 'operator', sha256: hashOf('a') },
      { name: 'dash.board', role: 'viewer', sha256: hashOf('b') },
    ]);
  });

  it('reads XSAGA_API_KEYS_FILE: one key a line, # comments and blank lines allowed', async () => {
    const dir = await tempDataDir();
    try {
      const file = join(dir.dir, 'keys');
      await writeFile(file, `# who may call the API\nops:operator:${hashOf('a')}   # the on-call\n\n  ci:viewer:${hashOf('b')}\r\n`);
      expect(loadConfig({ XSAGA_API_KEYS_FILE: file }).apiKeys.map((k) => [k.name, k.role])).toEqual([
        ['ops', 'operator'],
        ['ci', 'viewer'],
      ]);
      await writeFile(file, `ops:operator:${hashOf('a')}\nci:admin:${hashOf('b')}\n`);
      expect(failureOf({ XSAGA_API_KEYS_FILE: file }).message).toContain(`XSAGA_API_KEYS_FILE line 2 of ${file} ("ci"): the role must be one of viewer, operator`);
      await writeFile(file, '# nobody yet\n');
      expect(failureOf({ XSAGA_API_KEYS_FILE: file }).message).toContain('XSAGA_API_KEYS_FILE lists no key');
    } finally {
      await dir.remove();
    }
    expect(failureOf({ XSAGA_API_KEYS_FILE: '/no/such/keys' }).message).toContain('XSAGA_API_KEYS_FILE cannot be read: ENOENT');
  });

  it('names the entry at fault, and never echoes a key pasted where its hash belongs', () => {
    const key = testApiKey('operator').key;
    const error = failureOf({ XSAGA_API_KEYS: `ops:operator:${key},${key},ci:viewer:${hashOf('b')},ci:viewer:${hashOf('c')},again:viewer:${hashOf('b')}` });
    expect(error.fieldErrors).toEqual([
      { field: 'XSAGA_API_KEYS', detail: expect.stringMatching(/^entry 1 \("ops"\): the third field must be the SHA-256 of the key as 64 hex digits/) },
      { field: 'XSAGA_API_KEYS', detail: expect.stringMatching(/^entry 2 must be name:role:sha256hex/) },
      { field: 'XSAGA_API_KEYS', detail: 'entry 4 ("ci"): the name is used twice' },
      { field: 'XSAGA_API_KEYS', detail: 'entry 5 ("again"): the same key is configured twice' },
    ]);
    expect(error.message).not.toContain(key);
  });

  it('refuses both variables at once', () => {
    expect(failureOf({ ...apiKeysEnv(testApiKey('viewer')), XSAGA_API_KEYS_FILE: '/etc/keys' }).fieldErrors.map((e) => e.field)).toEqual(['XSAGA_API_KEYS_FILE']);
  });

  it('requires keys in production mode when the api role runs, and only then', () => {
    const error = failureOf(production);
    expect(error.fieldErrors.map((e) => e.field)).toEqual(['XSAGA_API_KEYS']);
    expect(error.message).toContain('XSAGA_API_KEYS is required in production mode when the api role runs');
    expect(loadConfig({ ...production, ...apiKeysEnv(testApiKey('viewer')) }).apiKeys).toHaveLength(1);
    expect(loadConfig({ ...production, XSAGA_ROLES: 'worker,relay' }).apiKeys).toEqual([]);
    // `xsaga worker`, `xsaga verify-replay`: the command decides the roles.
    expect(loadConfig(production, { roles: ['worker'] }).roles).toEqual(['worker']);
    expect(loadConfig(production, { roles: [] }).roles).toEqual([]);
    expect(failureOf({ ...production, XSAGA_ROLES: 'worker' }, { roles: ['api'] }).fieldErrors.map((e) => e.field)).toEqual(['XSAGA_API_KEYS']);
  });
});
