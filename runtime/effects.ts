import type { Envelope, Message } from './message.ts';
import type { DurableTimer } from './sagaStore.ts';

type ActionLike = Readonly<{ type: string; params?: unknown }>;

/** The side effects of one transition, as data to be committed with it. */
export type Effects = {
  outbox: Envelope[];
  /** Armed timers by id: a later cancel in the same batch removes one. */
  timersArmed: Map<string, DurableTimer>;
  timersCancelled: Set<string>;
};

export const noEffects = (): Effects => ({ outbox: [], timersArmed: new Map(), timersCancelled: new Set() });

export type EffectContext = Readonly<{
  streamId: string;
  /** The stream version the transition produced. */
  version: number;
  cause: Message;
  topicOf: (command: { type: string }) => string;
}>;

/**
 * Turns the actions that `transition()` returned into outbox rows and timer rows; nothing is
 * executed. Command ids derive from the stream position, so a retried commit writes the same ids.
 */
export function collectEffects(actions: readonly ActionLike[], context: EffectContext, into: Effects): Effects {
  let index = 0;
  for (const action of actions) {
    switch (action.type) {
      case 'xstate.emit': {
        const command = (action.params as { event: { type: string; data?: unknown } }).event;
        const message: Message = {
          type: command.type,
          data: command.data ?? {},
          metadata: {
            messageId: `${context.streamId}/${context.version}/${index++}`,
            correlationId: context.streamId,
            causationId: context.cause.metadata.messageId,
            occurredAt: context.cause.metadata.occurredAt,
          },
        };
        into.outbox.push({ topic: context.topicOf(command), key: context.streamId, message });
        break;
      }
      case 'xstate.raise': {
        const params = action.params as { event: unknown; id?: string; delay?: number };
        // An immediate raise was already processed inside transition(); only delayed ones outlive it.
        if (params.delay === undefined) break;
        const timerId = params.id ?? `${context.version}/${index++}`;
        const dueAt = new Date(Date.parse(context.cause.metadata.occurredAt) + params.delay).toISOString();
        into.timersCancelled.delete(timerId);
        into.timersArmed.set(timerId, { timerId, dueAt, event: params.event, armedVersion: context.version });
        break;
      }
      case 'xstate.cancel': {
        const sendId = (action.params as { sendId: string }).sendId;
        into.timersArmed.delete(sendId);
        into.timersCancelled.add(sendId);
        break;
      }
      default:
        // Named actions of the machine resolve to the built-ins above; anything else has no effect outside it.
        break;
    }
  }
  return into;
}
