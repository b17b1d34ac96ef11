import type { EventObject } from 'xstate';
import type { Message } from '../../runtime/message.ts';
import { final, type ParticipantSpec, type Performed } from '../../participants/participant.ts';
import type { ParticipantContract } from '../../runtime/safety/participantContract.ts';
import { answeringStep, commandPositionOf } from './pathReplies.ts';
import type { PlannedRun } from './runtimeRun.ts';

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
 * outcome table, idempotency guard). A command must be the one the path's machine sent at its
 * place (version and index); its answer is the step of the path that replies to it
 * (`repliedCommands`), so a redelivered command always gets the same answer. The commands of one
 * commit may be answered in any order: delivering the replies in the path's order is the step
 * driver's.
 */
export function scriptedParticipant(spec: ParticipantSpec, script: Script): ParticipantSpec {
  const answer = (command: Message): Performed => {
    const streamId = command.metadata.correlationId;
    const plan = script.plans.get(streamId);
    const position = commandPositionOf(streamId, command.metadata.messageId);
    const planned = position && plan?.run.emitted[position.version - 1]?.[position.index];
    if (!plan || !position || !planned) {
      script.onMismatch(`${streamId}: no step answers ${command.type} sent as ${command.metadata.messageId}`);
      return { kind: 'silent' };
    }
    if (planned.type !== command.type) {
      script.onMismatch(`${streamId} (${plan.path.name}): version ${position.version} sent ${command.type}, but the machine sent ${planned.type} there`);
      return { kind: 'silent' };
    }
    const step = answeringStep(plan.run, script.participants, position);
    // A deadline or a cancel instead of an answer: the participant stays silent, the step driver delivers the step.
    if (step === undefined) return { kind: 'silent' };
    const event = plan.run.events[step] as EventObject & { data?: Record<string, unknown> };
    const contract = spec.handles[command.type];
    if (!contract || ![...contract.done, ...contract.failed].includes(event.type)) {
      script.onMismatch(`${streamId} (${plan.path.name}): step ${step + 1} is ${event.type}, but the saga sent ${command.type} to ${spec.name}`);
      return { kind: 'silent' };
    }
    const data = event.data ?? {};
    const reply = { type: event.type, data };
    return data.retryable === true ? { kind: 'transient', reply } : final(reply, columnsFor(spec, command, data));
  };
  return { ...spec, perform: async (_tx, commands) => commands.map(answer) };
}
