import { compareIo, type IoCheck } from '../ioCheck.ts';
import { BENCH_MIX } from '../orderDriver.ts';
import { runBaselineScenario } from './baselineScenario.ts';
import { runProductionScenario } from './productionScenario.ts';

/** Orders in one round of the mix: `scenarioFor` visits every weight slot once per round, so whole rounds give the exact mix. */
const MIX_ROUND = BENCH_MIX.reduce((sum, s) => sum + s.weight, 0);

/**
 * The baseline's self-check, cheap enough to run before every baseline scenario: xsaga's
 * production roles and the raw baseline each take the same two rounds of the order mix (no
 * warm-up, so every order is counted), and what each wrote is compared per saga. It keeps the
 * baseline following xsaga's I/O as that changes: a new row, table or message in xsaga fails it.
 */
export async function checkBaselineIo(rounds = 2): Promise<IoCheck> {
  const sagas = rounds * MIX_ROUND;
  const options = { sagas, warmup: 0, load: { kind: 'closed', concurrency: 16 }, timeoutMs: 180_000, countIo: true } as const;
  const xsaga = await runProductionScenario({ ...options, workers: 1 });
  const baseline = await runBaselineScenario(options);
  if (!xsaga.io || !baseline.io) throw new Error('the I/O check got no counts');
  if (xsaga.completed !== sagas || baseline.completed !== sagas) {
    throw new Error(`the I/O check needs every order to end: xsaga ended ${xsaga.completed}, the baseline ${baseline.completed} of ${sagas}`);
  }
  return compareIo(xsaga.io, baseline.io, sagas);
}
