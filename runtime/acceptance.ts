import type { AwaitedCommands } from './awaitedCommands.ts';
import type { DeadLetterReason } from './deadLetter.ts';
import { TIMER_FIRED, timerFiredProblem, type TimerFiredData } from './machineEvent.ts';
import type { Message } from './message.ts';
import type { SagaDefinition } from './sagaDefinition.ts';

/** What the runtime makes of an inbox message for a saga, before the machine judges it with `can()`. */
export type Verdict =
  | Readonly<{ accepted: true; event: { type: string; data?: unknown } }>
  | Readonly<{ accepted: false; reason: DeadLetterReason; error: string }>;

export type SagaAtRest = Readonly<{ definition: SagaDefinition; streamId: string; version: number; awaiting: AwaitedCommands }>;

const refuse = (reason: DeadLetterReason, error: string): Verdict => ({ accepted: false, reason, error });

/**
 * Whether `message` may move the saga: a fired timer that holds a timer event, or a message of a
 * type the saga declares whose data has that event's shape and which, if it is a reply, answers a
 * command the saga emitted and still awaits. Everything else is no fact of the saga.
 */
export function acceptanceOf(saga: SagaAtRest, message: Message): Verdict {
  const { definition } = saga;
  if (message.type === TIMER_FIRED) {
    const problem = timerFiredProblem(message.data, saga.version);
    if (problem) return refuse('SCHEMA_VIOLATION', problem);
    const held = (message.data as TimerFiredData).event;
    // A declared event arrives as itself, under its own rules; a timer cannot carry one past them.
    if (Object.hasOwn(definition.events, held.type)) return refuse('SCHEMA_VIOLATION', `a fired timer cannot deliver ${held.type}`);
    return { accepted: true, event: held };
  }
  if (message.type === definition.startEvent) return refuse('UNEXPECTED_EVENT', `${message.type} starts a saga, and ${saga.streamId} has started`);
  const rule = Object.hasOwn(definition.events, message.type) ? definition.events[message.type] : undefined;
  if (!rule) return refuse('UNEXPECTED_EVENT', `${definition.machine.id}@${definition.version} accepts no ${message.type}`);
  const problem = rule.check(message.data);
  if (problem !== undefined) return refuse('SCHEMA_VIOLATION', `${message.type}: ${problem}`);
  if (rule.answers) {
    const { causationId } = message.metadata;
    const command = saga.awaiting.get(causationId);
    if (command === undefined) return refuse('UNSOLICITED_REPLY', `${message.type} answers ${causationId}, which is no command ${saga.streamId} awaits`);
    if (!rule.answers.includes(command)) return refuse('UNSOLICITED_REPLY', `${message.type} does not answer ${command} (${causationId})`);
  }
  return { accepted: true, event: { type: message.type, data: message.data } };
}
