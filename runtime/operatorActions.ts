import type { Clock } from './clock.ts';
import { isoNow } from './clock.ts';
import { silentLogger, type Logger } from './logger.ts';
import { createMessage } from './message.ts';
import type { OperatorAction } from './sagaDefinition.ts';
import { sagaLogFields } from './sagaLogFields.ts';
import type { SagaRuntime } from './sagaRuntime.ts';
import type { SagaStore } from './sagaStore.ts';
import { stateName } from './stateName.ts';

/** One operator's action on one saga: who, why, and the version they saw, if they saw one. */
export type OperatorRequest = Readonly<{
  streamId: string;
  action: OperatorAction;
  operator: string;
  reason: string;
  /** The saga must still be at this version: an action on a saga that moved on is refused. */
  expectedVersion?: number;
}>;

export type OperatorOutcome =
  | Readonly<{ kind: 'applied'; streamId: string; version: number; state: string; messageId: string }>
  | Readonly<{ kind: 'refused'; streamId: string; why: 'NOT_FOUND' | 'NO_SUCH_ACTION' | 'NOT_ACCEPTED' | 'MOVED_ON'; detail: string; version?: number; state?: string }>;

export type OperatorActions = Readonly<{
  /** Whether the saga, as stored now, would accept the action; what it would be refused for if not. */
  check(streamId: string, action: OperatorAction): Promise<OperatorOutcome | undefined>;
  /** Appends the action's event to the saga's stream, if its current state accepts it. */
  act(request: OperatorRequest): Promise<OperatorOutcome>;
}>;

/**
 * Operator actions as facts of the saga: each is an event of the machine (`operatorActions` of its
 * definition) with `{ operator, reason }` as data, appended through the runtime like any reply, so
 * the expected-version check guards it and replay sees it. A saga whose state does not accept the
 * event, or that moved on while the action was under way, is refused and nothing is written.
 */
export function createOperatorActions(deps: { runtime: SagaRuntime; store: SagaStore; clock: Clock; newId: () => string; logger?: Logger }): OperatorActions {
  const { runtime, store } = deps;
  const logger = deps.logger ?? silentLogger;

  /** The saga as stored now, and the event the action sends it if its state accepts it; a refusal otherwise. */
  async function check(streamId: string, action: OperatorAction, expectedVersion?: number): Promise<OperatorOutcome | { eventType: string; version: number }> {
    const saga = await runtime.loadStored(streamId);
    if (!saga) return { kind: 'refused', streamId, why: 'NOT_FOUND', detail: `No saga ${streamId}.` };
    const state = stateName(saga.snapshot.value);
    const at = { version: saga.version, state };
    const eventType = saga.definition.operatorActions?.[action];
    if (!eventType) {
      return { kind: 'refused', streamId, why: 'NO_SUCH_ACTION', detail: `${saga.definition.machine.id} has no ${action} action.`, ...at };
    }
    if (expectedVersion !== undefined && expectedVersion !== saga.version) {
      return { kind: 'refused', streamId, why: 'MOVED_ON', detail: `Saga ${streamId} is at version ${saga.version}, not ${expectedVersion}: it moved on.`, ...at };
    }
    if (saga.snapshot.status !== 'active' || !saga.snapshot.can({ type: eventType, data: { operator: '', reason: '' } })) {
      return { kind: 'refused', streamId, why: 'NOT_ACCEPTED', detail: `Saga ${streamId} in state ${state} does not accept ${action}.`, ...at };
    }
    return { eventType, version: saga.version };
  }

  return {
    async check(streamId, action) {
      const checked = await check(streamId, action);
      return 'kind' in checked ? checked : undefined;
    },
    async act(request) {
      const checked = await check(request.streamId, request.action, request.expectedVersion);
      if ('kind' in checked) return checked;
      const message = createMessage(
        checked.eventType,
        { operator: request.operator, reason: request.reason },
        { messageId: deps.newId(), correlationId: request.streamId, occurredAt: isoNow(deps.clock) },
      );
      await runtime.handle([message]);
      // A saga that moved between the check and the commit takes the event as not accepted: applied, not appended.
      const appended = (await store.readStream(request.streamId, checked.version + 1)).find((e) => e.message.metadata.messageId === message.metadata.messageId);
      const after = (await runtime.loadStored(request.streamId))!;
      if (!appended) {
        return {
          kind: 'refused',
          streamId: request.streamId,
          why: 'MOVED_ON',
          detail: `Saga ${request.streamId} moved on (version ${checked.version} → ${after.version}) before ${request.action} was applied; nothing was written.`,
          version: after.version,
          state: stateName(after.snapshot.value),
        };
      }
      // A human changed a saga's course: rare, and what an operator reads the log for. The version is the action's event's.
      logger.info({ ...sagaLogFields({ ...after, version: appended.version }), action: request.action, operator: request.operator, reason: request.reason }, 'operator action applied');
      return { kind: 'applied', streamId: request.streamId, version: after.version, state: stateName(after.snapshot.value), messageId: message.metadata.messageId };
    },
  };
}
