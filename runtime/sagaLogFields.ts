import { machineOf, type LiveSaga } from './sagaFold.ts';

/**
 * What every log line about one saga carries, under the same names in every role, so that one
 * query finds a saga's whole story. `machine` is `machineId@machineVersion` (the version the saga
 * is pinned to) and `version` the saga's stream version, as the API and the history show them.
 * `traceId` is the slot for the saga's trace: once the trace context travels in the message
 * metadata, it is filled here, and every saga line carries it without another change.
 */
export type SagaLogFields = Readonly<{ sagaId: string; machine: string; version: number; traceId?: string }>;

export function sagaLogFields(saga: Pick<LiveSaga, 'streamId' | 'definition' | 'version'>): SagaLogFields {
  return { sagaId: saga.streamId, machine: machineOf(saga.definition), version: saga.version };
}
