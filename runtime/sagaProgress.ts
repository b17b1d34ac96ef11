import type { RuntimeMetrics } from './runtimeMetrics.ts';
import type { LiveSaga } from './sagaFold.ts';
import { outcomeOf } from './sagaOutcome.ts';
import { secondsBetween, type StateLeft } from './sagaTimes.ts';

/**
 * Reports what one committed change did to a saga: started it (no `before`), moved it out of
 * states, ended it. A dwell time that is not known (a saga hydrated from an old snapshot) is left out.
 */
export function reportProgress(metrics: RuntimeMetrics, before: LiveSaga | undefined, after: LiveSaga, left: readonly StateLeft[]): void {
  const saga = { machine: after.definition.machine.id, version: after.definition.version };
  if (!before) metrics.sagaStarted(saga);
  for (const { state, seconds } of left) if (seconds !== undefined) metrics.stateLeft({ ...saga, state, seconds });
  if ((before?.snapshot.status ?? 'active') === 'active' && after.snapshot.status !== 'active') {
    const { failed, reason } = outcomeOf(after.definition, after.snapshot);
    metrics.sagaEnded({ ...saga, failed, reason, seconds: secondsBetween(after.times.startedAt, after.times.enteredAt) });
  }
}
