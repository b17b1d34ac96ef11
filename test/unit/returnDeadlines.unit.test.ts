import { afterEach, describe, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { START } from '../support/parkingScenario.ts';
import { returnDeadlines } from '../support/returnDeadlinesScenario.ts';
import { testClock } from '../support/testClock.ts';

const running: System[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

describe('the deadlines of orders and returns on the embedded default (test clock)', () => {
  it('fails a payment that never answers, rejects an undecided return at 48 h, expires one without a parcel at 14 days', { timeout: 120_000 }, async () => {
    const operator = testApiKey('operator');
    const clock = testClock(START);
    const system = await startEmbedded(apiKeysEnv(operator), { clock });
    running.push(system);
    await returnDeadlines(system, await system.listen(0), clock, operator);
  });
});
