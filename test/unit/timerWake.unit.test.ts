import { describe, it } from 'vitest';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { freshPglite } from '../support/pglite.ts';
import { timerWakeScenario } from '../support/timerWakeScenario.ts';

describe('timer scheduler on PGlite', () => {
  it('fires a timer armed to be due before its next look when it is due, told by the commit that armed it', async () => {
    const store = await createSqlSagaStore(await freshPglite());
    await timerWakeScenario(store, store);
  });
});
