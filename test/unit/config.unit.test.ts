import { describe, expect, it } from 'vitest';
import { loadConfig, ROLES } from '../../app/config.ts';
import { isXsagaError, type XsagaError } from '../../runtime/errors.ts';

const failureOf = (env: Record<string, string>): XsagaError => {
  try {
    loadConfig(env);
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

  it('names every bad variable in one error', () => {
    const error = failureOf({ PORT: 'eighty', XSAGA_PAYMENT_TIMEOUT_MS: '0', XSAGA_CHAOS_FAILURE_RATE: '2', XSAGA_ROLES: 'api,cook', XSAGA_POISON_ATTEMPTS: '0' });
    expect(error.fieldErrors.map((e) => e.field).sort()).toEqual(['PORT', 'XSAGA_CHAOS_FAILURE_RATE', 'XSAGA_PAYMENT_TIMEOUT_MS', 'XSAGA_POISON_ATTEMPTS', 'XSAGA_ROLES']);
    expect(error.message).toContain('PORT must be a whole number from 0 to 65535, got "eighty"');
  });

  it('requires every server address in production mode', () => {
    const error = failureOf({ XSAGA_MODE: 'production', XSAGA_KAFKA_BROKERS: 'kafka' });
    expect(error.fieldErrors.map((e) => e.field).sort()).toEqual(['XSAGA_ES_URL', 'XSAGA_KAFKA_BROKERS', 'XSAGA_PG_URL', 'XSAGA_REDIS_URL']);
  });

  it('reads the production servers and roles', () => {
    const config = loadConfig({ ...production, XSAGA_ROLES: 'worker, projector', XSAGA_KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9094' });
    expect(config.roles).toEqual(['worker', 'projector']);
    expect(config.production).toMatchObject({ kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9094'], ordersAlias: 'orders', pgSchema: 'public', topicPrefix: 'xsaga' });
  });

  it('rejects an unknown mode and unsafe names', () => {
    expect(failureOf({ XSAGA_MODE: 'cloud' }).fieldErrors[0]?.field).toBe('XSAGA_MODE');
    expect(failureOf({ ...production, XSAGA_PG_SCHEMA: 'x; drop table' }).fieldErrors[0]?.field).toBe('XSAGA_PG_SCHEMA');
  });
});
