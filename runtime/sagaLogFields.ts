import type { Message } from './message.ts';
import { machineOf, type LiveSaga } from './sagaFold.ts';

/**
 * What every log line about one saga carries, under the same names in every role, so that one
 * query finds a saga's whole story. `machine` is `machineId@machineVersion` (the version the saga
 * is pinned to) and `version` the saga's stream version, as the API and the history show them.
 * `traceId` is the trace of the message the line is about (W3C `traceparent`, when traces are on):
 * one order is one trace, so it finds the order's spans too.
 */
export type SagaLogFields = Readonly<{ sagaId: string; machine: string; version: number; traceId?: string }>;

export function sagaLogFields(saga: Pick<LiveSaga, 'streamId' | 'definition' | 'version'>, cause?: Message): SagaLogFields {
  const traceId = cause?.metadata.traceparent?.split('-')[1];
  return { sagaId: saga.streamId, machine: machineOf(saga.definition), version: saga.version, ...(traceId ? { traceId } : {}) };
}
