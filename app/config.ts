import { XsagaError, type FieldError } from '../runtime/errors.ts';

/** Everything xsaga reads from its environment, checked once at start-up. */
export type Config = Readonly<{
  port: number;
  dataDir: string;
  paymentTimeoutMs: number;
  maxAttempts: number;
  snapshotEvery: number;
  actorCacheSize: number;
  partitions: number;
  chaos: Readonly<{ failureRate: number; latencyMs: number }>;
}>;

type Env = Readonly<Record<string, string | undefined>>;

type Reader = Readonly<{
  integer(name: string, fallback: number, min: number, max: number): number;
  ratio(name: string, fallback: number): number;
  text(name: string, fallback: string): string;
}>;

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
  };
}

/** Reads and validates the configuration; one error lists every bad variable. */
export function loadConfig(env: Env): Config {
  const errors: FieldError[] = [];
  const read = reader(env, errors);
  const config: Config = {
    port: read.integer('PORT', 3000, 0, 65535),
    dataDir: read.text('XSAGA_DATA_DIR', './.xsaga'),
    paymentTimeoutMs: read.integer('XSAGA_PAYMENT_TIMEOUT_MS', 30_000, 1, 7 * 24 * 3600 * 1000),
    maxAttempts: read.integer('XSAGA_MAX_ATTEMPTS', 5, 1, 100),
    snapshotEvery: read.integer('XSAGA_SNAPSHOT_EVERY', 25, 1, 100_000),
    actorCacheSize: read.integer('XSAGA_ACTOR_CACHE_SIZE', 10_000, 0, 10_000_000),
    partitions: read.integer('XSAGA_PARTITIONS', 8, 1, 1024),
    chaos: {
      failureRate: read.ratio('XSAGA_CHAOS_FAILURE_RATE', 0),
      latencyMs: read.integer('XSAGA_CHAOS_LATENCY_MS', 0, 0, 60_000),
    },
  };
  if (errors.length > 0) {
    throw new XsagaError('CONFIG', `Invalid configuration: ${errors.map((e) => `${e.field} ${e.detail}`).join('; ')}`, { fieldErrors: errors });
  }
  return config;
}
