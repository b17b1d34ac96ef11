import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../app/config.ts';
import { createEmbeddedAdapters } from '../../app/embeddedAdapters.ts';
import { startSystem } from '../../app/system.ts';
import { silentLogger } from '../../runtime/logger.ts';
import type { ScenarioOptions, ScenarioResult } from '../benchTypes.ts';
import { driveOrders, scenarioResult } from '../orderDriver.ts';
import { cpuWindow } from '../processStats.ts';
import { BENCH_RETRY_ENV } from '../benchRetrySchedule.ts';

/** The embedded default: every role in this process, PGlite on disk, the in-process bus; orders over HTTP. */
export async function runEmbeddedScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'xsaga-bench-'));
  const config = loadConfig({ XSAGA_DATA_DIR: dataDir, XSAGA_PAYMENT_TIMEOUT_MS: '30000', ...BENCH_RETRY_ENV });
  const system = await startSystem({ config, adapters: await createEmbeddedAdapters(config), logger: silentLogger });
  try {
    const url = await system.listen(0);
    const cpu = cpuWindow({ 'xsaga+driver': process.pid }, { servers: false });
    const run = await driveOrders({ url, bus: system.adapters.bus, factsTopic: system.topics.orderEvents, options, runId: `${Date.now()}` });
    return scenarioResult('embedded', options, run, cpu.end(options.warmup + options.sagas), ['driver, API and all roles share one process: its CPU includes the driver']);
  } finally {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
