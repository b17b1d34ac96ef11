import type { EventObject } from 'xstate';
import type { Message } from '../../runtime/message.ts';
import { final, type ParticipantSpec, type Performed } from '../../participants/participant.ts';
import type { ParticipantContract } from '../../runtime/safety/participantContract.ts';
import { stepKind, type PlannedRun } from './runtimeRun.ts';

/** What scripted participants answer from, and whom they tell when the script and the saga disagree. */
export type Script = Readonly<{
  plans: ReadonlyMap<string, PlannedRun>;
  /** All participants: a step that none of them replies with (a timer, an operator's action) is left to the step driver. */
  participants: readonly ParticipantContract[];
  onMismatch(problem: string): void;
}>;

/** The participant's own columns for a stored outcome, from the command and the scripted reply. */
function columnsFor(spec: ParticipantSpec, command: Message, data: Record<string, unknown>): Record<string, string | number | null> {
  const columns: Record<string, string | number | null> = {};
  for (const name of Object.keys(spec.outcomeColumns)) {
    if (name === 'amount') columns[name] = Number(data.amount ?? 0);
    else if (name === 'items') columns[name] = JSON.stringify((command.data as { items?: unknown }).items ?? []);
    else if (name === 'shipment_id') columns[name] = typeof data.shipmentId === 'string' ? data.shipmentId : null;
    else columns[name] = null;
  }
  return columns;
}

/**
 * A participant that answers as the planned paths say, through the real command handler (durable
 * outcome table, idempotency guard). The answer to the command emitted at stream version v is the
 * path's step v, so a redelivered command always gets the same answer.
 */
export function scriptedParticipant(spec: ParticipantSpec, script: Script): ParticipantSpec {
  const answer = (command: Message): Performed => {
    const streamId = command.metadata.correlationId;
    const version = Number(command.metadata.messageId.slice(streamId.length + 1).split('/')[0]);
    const plan = script.plans.get(streamId);
    const event = plan?.run.events[version - 1] as (EventObject & { data?: Record<string, unknown> }) | undefined;
    if (!plan || !event) {
      script.onMismatch(`${streamId}: no step answers ${command.type} sent at version ${version}`);
      return { kind: 'silent' };
    }
    // A deadline or a cancel instead of an answer: the participant stays silent, the step driver delivers the step.
    if (stepKind(event, script.participants) !== 'reply') return { kind: 'silent' };
    const contract = spec.handles[command.type];
    if (!contract || ![...contract.done, ...contract.failed].includes(event.type)) {
      script.onMismatch(`${streamId} (${plan.path.name}): step ${version} is ${event.type}, but the saga sent ${command.type}`);
      return { kind: 'silent' };
    }
    const data = event.data ?? {};
    const reply = { type: event.type, data };
    return data.retryable === true ? { kind: 'transient', reply } : final(reply, columnsFor(spec, command, data));
  };
  return { ...spec, perform: async (_tx, commands) => commands.map(answer) };
}
