import { afterAll, describe, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { createAdapters } from '../../app/createAdapters.ts';
import { startSystem } from '../../app/system.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { START } from '../support/parkingScenario.ts';
import { productionEnv } from '../support/productionEnv.ts';
import { returnDeadlines } from '../support/returnDeadlinesScenario.ts';
import { testClock } from '../support/testClock.ts';

/**
 * The deadlines of orders and returns on PostgreSQL, Kafka, Elasticsearch and Redis: the same scenario
 * as on the embedded default (test/unit/returnDeadlines.unit.test.ts), in production mode, in-process.
 */
describe('the deadlines of orders and returns on the real servers (test clock)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('fails a payment that never answers, rejects an undecided return at 48 h, expires one without a parcel at 14 days', { timeout: 120_000 }, async () => {
    const operator = testApiKey('operator');
    const production = await productionEnv('deadlines');
    cleanups.push(production.dispose);
    const env = { ...production.env, ...apiKeysEnv(operator), XSAGA_PARTITIONS: '2' };
    const config = loadConfig(env);
    const clock = testClock(START);
    // The returns read their settings from `env`, not from this process's environment: the scenario counts on the defaults.
    const system = await startSystem({ config, adapters: await createAdapters(config, silentLogger), clock, logger: silentLogger, env });
    cleanups.push(() => system.stop());
    await returnDeadlines(system, await system.listen(0), clock, operator);
  });
});
