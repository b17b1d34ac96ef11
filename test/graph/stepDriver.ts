import type { MessageBus } from '../../runtime/messageBus.ts';
import type { ParticipantContract } from '../../runtime/safety/participantContract.ts';
import type { OutboxRecord } from '../../runtime/sagaStore.ts';
import type { SqlQueryable } from '../../runtime/sqlClient.ts';
import { timersOf } from '../support/storeRows.ts';
import { stepKind, stepMessage, type PlannedRun } from './runtimeRun.ts';

export type StepDriver = Readonly<{
  /** The runtime's `onCommitted`: the outbox of a commit holds one view fact per stream it moved, with the version committed. */
  committed(outbox: readonly OutboxRecord[]): void;
  /** Resolves once every step delivered so far is on the bus. */
  settled(): Promise<void>;
}>;

/**
 * Delivers the steps of planned runs that no participant answers, as the scheduler and an operator
 * would: once a stream's committed version reaches such a step, a timer (a deadline, a backoff) is
 * fired from its row, an operator's action is published to the inbox. After a failure the saga
 * backs off and sends nothing, so only this moves it on. Scripted participants stay silent on
 * those steps; a reply step with no command to answer, or a delivery that fails, is a mismatch.
 */
export function createStepDriver(deps: {
  plans: ReadonlyMap<string, PlannedRun>;
  factsTopic: string;
  inboxTopic: string;
  participants: readonly ParticipantContract[];
  sql: SqlQueryable;
  bus: MessageBus;
  onMismatch(problem: string): void;
}): StepDriver {
  const delivered = new Set<string>();
  const pending: Promise<void>[] = [];

  const deliver = async (plan: PlannedRun, step: number, timers: boolean) => {
    const sent = { commands: [], timers: timers ? await timersOf(deps.sql, plan.streamId) : [], inboxTopic: deps.inboxTopic, participants: deps.participants };
    await deps.bus.publish([{ topic: deps.inboxTopic, key: plan.streamId, message: stepMessage(plan, step, sent) }]);
  };

  return {
    committed(outbox) {
      for (const { envelope } of outbox) {
        if (envelope.topic !== deps.factsTopic) continue;
        const { streamId, version } = envelope.message.data as { streamId: string; version: number };
        const plan = deps.plans.get(streamId);
        // Version v is the start and v − 1 steps: step v − 1 (0-based) comes next, if the path goes on.
        const step = version - 1;
        const event = plan?.run.events[step];
        if (!plan || !event) continue;
        const kind = stepKind(event, deps.participants);
        if (kind === 'reply') {
          if (plan.run.emitted[step]!.length === 0) deps.onMismatch(`${streamId} (${plan.path.name}): step ${step + 1} replies ${event.type}, but version ${version} sent no command`);
          continue;
        }
        const key = `${streamId}/${step}`;
        if (delivered.has(key)) continue;
        delivered.add(key);
        pending.push(deliver(plan, step, kind === 'timer').catch((error: unknown) => deps.onMismatch(`${streamId}: step ${step + 1}: ${String(error)}`)));
      }
    },
    async settled() {
      await Promise.all(pending);
    },
  };
}
