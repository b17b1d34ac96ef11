import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../app/config.ts';
import { createEmbeddedAdapters } from '../../app/embeddedAdapters.ts';
import { startSystem, type System, type SystemAdapters } from '../../app/system.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { SagaBundle } from '../../sdk/defineSaga.ts';
import { silentLogger, type Logger } from '../../runtime/logger.ts';

/** A temporary data directory that `remove` deletes. */
export async function tempDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'xsaga-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Starts the whole embedded system in this process; `env` overrides configuration variables. The
 * API answers only its open routes unless `env` configures keys (`apiKeysEnv` in apiKeys.ts).
 * `wrap` may put test instruments around the adapters; `clock` (a test clock) is the time of every
 * message, timer and participant; `processMetrics` adds Node's process metrics to `/metrics`; `sagas` replaces the system list.
 */
export async function startEmbedded(
  env: Record<string, string> = {},
  options: { logger?: Logger; wrap?: (adapters: SystemAdapters) => SystemAdapters; clock?: Clock; processMetrics?: boolean; sagas?: readonly SagaBundle[] } = {},
): Promise<System> {
  const configured = { XSAGA_DATA_DIR: ':memory:', ...env };
  const config = loadConfig(configured);
  const logger = options.logger ?? silentLogger;
  const adapters = await createEmbeddedAdapters(config, logger);
  return startSystem({ config, adapters: options.wrap ? options.wrap(adapters) : adapters, logger, clock: options.clock, processMetrics: options.processMetrics, sagas: options.sagas, env: configured });
}
