import { afterAll, describe, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { createAdapters } from '../../app/createAdapters.ts';
import { startSystem, type System } from '../../app/system.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { parkAndResume, START } from '../support/parkingScenario.ts';
import { productionEnv } from '../support/productionEnv.ts';
import { testClock } from '../support/testClock.ts';

/**
 * Parking and operator actions on PostgreSQL, Kafka, Elasticsearch and Redis: the same scenario as
 * on the embedded default (test/unit/operatingSagas.unit.test.ts), in production mode, in-process.
 */
describe('parking and operator actions on the real servers (test clock)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('parks a compensation past its limit, lists it, refuses what does not fit, and resumes it', { timeout: 120_000 }, async () => {
    const viewer = testApiKey('viewer');
    const operator = testApiKey('operator');
    const production = await productionEnv('operating');
    cleanups.push(production.dispose);
    const config = loadConfig({ ...production.env, ...apiKeysEnv(viewer, operator), XSAGA_PARK_AFTER_ATTEMPTS: '3', XSAGA_PARTITIONS: '2' });
    const clock = testClock(START);
    const system: System = await startSystem({ config, adapters: await createAdapters(config, silentLogger), clock, logger: silentLogger });
    cleanups.push(() => system.stop());
    const url = await system.listen(0);
    await parkAndResume(system, url, clock, { viewer, operator });
  });
});
