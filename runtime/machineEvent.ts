import type { Envelope, Message } from './message.ts';
import type { DurableTimer } from './sagaStore.ts';

/** The inbox message a fired durable timer becomes. */
export const TIMER_FIRED = 'TimerFired';

export type TimerFiredData = Readonly<{ timerId: string; event: { type: string }; armedVersion: number; dueAt: string }>;

/** Builds the inbox envelope for a due timer; its id is stable, so a timer fired twice is applied once. */
export function timerFiredEnvelope(inboxTopic: string, streamId: string, timer: DurableTimer): Envelope {
  const data: TimerFiredData = { timerId: timer.timerId, event: timer.event as { type: string }, armedVersion: timer.armedVersion, dueAt: timer.dueAt };
  return {
    topic: inboxTopic,
    key: streamId,
    message: {
      type: TIMER_FIRED,
      data,
      metadata: {
        messageId: `timer/${streamId}/${timer.timerId}/${timer.armedVersion}`,
        correlationId: streamId,
        causationId: `${streamId}/${timer.armedVersion}`,
        occurredAt: timer.dueAt,
        ...timer.trace,
      },
    },
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What is wrong with a fired timer's data, or undefined: a timer id, the event it holds (which
 * the machine's `can()` then judges like any other), the version that armed it, and when it was due.
 */
export function timerFiredProblem(data: unknown, streamVersion: number): string | undefined {
  if (!isRecord(data)) return 'TimerFired data must be an object';
  if (typeof data.timerId !== 'string' || data.timerId === '') return 'data.timerId must be a non-empty string';
  if (!isRecord(data.event) || typeof data.event.type !== 'string' || data.event.type === '') return 'data.event must be an event with a type';
  const armed = data.armedVersion;
  if (typeof armed !== 'number' || !Number.isInteger(armed) || armed < 1 || armed > streamVersion) {
    return `data.armedVersion must be a version of the stream (1 to ${streamVersion})`;
  }
  if (typeof data.dueAt !== 'string' || Number.isNaN(Date.parse(data.dueAt))) return 'data.dueAt must be an ISO-8601 time';
  return undefined;
}

/** What the machine receives for a stored or incoming message: a timer delivers the event it held. */
export function toMachineEvent(message: Message): { type: string; data?: unknown } {
  if (message.type === TIMER_FIRED) return (message.data as TimerFiredData).event;
  return { type: message.type, data: message.data };
}
