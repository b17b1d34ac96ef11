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
      },
    },
  };
}

/** What the machine receives for a stored or incoming message: a timer delivers the event it held. */
export function toMachineEvent(message: Message): { type: string; data?: unknown } {
  if (message.type === TIMER_FIRED) return (message.data as TimerFiredData).event;
  return { type: message.type, data: message.data };
}
