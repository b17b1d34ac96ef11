import type { Clock } from './clock.ts';
import { isoNow } from './clock.ts';
import { silentLogger, type Logger } from './logger.ts';
import { createMessage } from './message.ts';
import type { OperatorAction, SagaDefinition } from './sagaDefinition.ts';
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

/**
 * A person's decision sent into one saga as an event of its machine (an approval, a rejection):
 * `data` is the event's data, checked by the saga's event rule like any message.
 */
export type SignalRequest = Readonly<{
  streamId: string;
  eventType: string;
  data: Readonly<Record<string, unknown>>;
  /** The saga must still be at this version. */
  expectedVersion?: number;
}>;

export type OperatorActions = Readonly<{
  /** Whether the saga, as stored now, would accept the action; what it would be refused for if not. */
  check(streamId: string, action: OperatorAction): Promise<OperatorOutcome | undefined>;
  /** Appends the action's event to the saga's stream, if its current state accepts it. */
  act(request: OperatorRequest): Promise<OperatorOutcome>;
  /** Appends a decision's event to the saga's stream, if its current state accepts it. */
  signal(request: SignalRequest): Promise<OperatorOutcome>;
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
  /** The saga as stored now, and the event sent to it if its state accepts it; a refusal otherwise. */
  async function check(
    streamId: string,
    what: Readonly<{ name: string; eventOf: (definition: SagaDefinition) => string | undefined; data: Readonly<Record<string, unknown>> }>,
    expectedVersion?: number,
  ): Promise<OperatorOutcome | { eventType: string; version: number }> {
    const saga = await runtime.loadStored(streamId);
    if (!saga) return { kind: 'refused', streamId, why: 'NOT_FOUND', detail: `No saga ${streamId}.` };
    const state = stateName(saga.snapshot.value);
    const at = { version: saga.version, state };
    const eventType = what.eventOf(saga.definition);
    if (!eventType) {
      return { kind: 'refused', streamId, why: 'NO_SUCH_ACTION', detail: `${saga.definition.machine.id} has no ${what.name} action.`, ...at };
    }
    if (expectedVersion !== undefined && expectedVersion !== saga.version) {
      return { kind: 'refused', streamId, why: 'MOVED_ON', detail: `Saga ${streamId} is at version ${saga.version}, not ${expectedVersion}: it moved on.`, ...at };
    }
    if (saga.snapshot.status !== 'active' || !saga.snapshot.can({ type: eventType, data: what.data })) {
      return { kind: 'refused', streamId, why: 'NOT_ACCEPTED', detail: `Saga ${streamId} in state ${state} does not accept ${what.name}.`, ...at };
    }
    return { eventType, version: saga.version };
  }

  const actionOf = (action: OperatorAction, data: Readonly<Record<string, unknown>>) => ({ name: action, eventOf: (definition: SagaDefinition) => definition.operatorActions?.[action], data });

  /** Appends `eventType` with `data` through the runtime; refused when the saga moved between the check and the commit. */
  async function append(request: Readonly<{ streamId: string; name: string }>, checked: { eventType: string; version: number }, data: unknown): Promise<OperatorOutcome> {
    const message = createMessage(checked.eventType, data, { messageId: deps.newId(), correlationId: request.streamId, occurredAt: isoNow(deps.clock) });
    await runtime.handle([message]);
    // A saga that moved between the check and the commit takes the event as not accepted: applied, not appended.
    const appended = (await store.readStream(request.streamId, checked.version + 1)).find((e) => e.message.metadata.messageId === message.metadata.messageId);
    const after = (await runtime.loadStored(request.streamId))!;
    if (!appended) {
      return {
        kind: 'refused',
        streamId: request.streamId,
        why: 'MOVED_ON',
        detail: `Saga ${request.streamId} moved on (version ${checked.version} → ${after.version}) before ${request.name} was applied; nothing was written.`,
        version: after.version,
        state: stateName(after.snapshot.value),
      };
    }
    logger.info({ ...sagaLogFields({ ...after, version: appended.version }), action: request.name, ...(data as object) }, 'operator action applied');
    return { kind: 'applied', streamId: request.streamId, version: after.version, state: stateName(after.snapshot.value), messageId: message.metadata.messageId };
  }

  return {
    async check(streamId, action) {
      const checked = await check(streamId, actionOf(action, { operator: '', reason: '' }));
      return 'kind' in checked ? checked : undefined;
    },
    async act(request) {
      const data = { operator: request.operator, reason: request.reason };
      const checked = await check(request.streamId, actionOf(request.action, data), request.expectedVersion);
      if ('kind' in checked) return checked;
      // A human changed a saga's course: rare, and what an operator reads the log for.
      return append({ streamId: request.streamId, name: request.action }, checked, data);
    },
    async signal(request) {
      const checked = await check(request.streamId, { name: request.eventType, eventOf: () => request.eventType, data: request.data }, request.expectedVersion);
      if ('kind' in checked) return checked;
      return append({ streamId: request.streamId, name: request.eventType }, checked, request.data);
    },
  };
}
