import type { AnyMachineSnapshot } from 'xstate';
import type { SagaDefinition } from './sagaDefinition.ts';
import { stateName } from './stateName.ts';

/** How a finished saga ended: failed or not, and why (empty when it completed). */
export type SagaOutcome = Readonly<{ failed: boolean; reason: string }>;

/** The names the dashboard reads as failures too (api/machines/machineGraph.ts). */
const FAILURE_NAME = /fail|error|abort|cancel|reject/i;

/**
 * How a finished saga ended: its definition says so when it can (the order saga's failure
 * reason), otherwise its final state's name does, and is the reason.
 */
export function outcomeOf(definition: SagaDefinition, snapshot: AnyMachineSnapshot): SagaOutcome {
  if (definition.outcome) return definition.outcome(snapshot);
  const state = stateName(snapshot.value);
  return FAILURE_NAME.test(state) ? { failed: true, reason: state } : { failed: false, reason: '' };
}
