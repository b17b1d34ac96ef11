import type { Envelope, Message } from './message.ts';
import type { DurableTimer } from './sagaStore.ts';
import type { TraceContext } from './traceContext.ts';

export type ActionLike = Readonly<{ type: string; params?: unknown }>;

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
  /** The span of the transition: its commands and timers carry it, so what they cause joins its trace. */
  trace?: TraceContext;
}>;

/** A copy whose changes leave `effects` as it was. */
export const copyEffects = (effects: Effects): Effects => ({
  outbox: [...effects.outbox],
  timersArmed: new Map(effects.timersArmed),
  timersCancelled: new Set(effects.timersCancelled),
});

/**
 * Each emitted command and each delayed raise without an id of one transition takes the next
 * index: its id is its stream position and that index. Every reader of ids goes through here.
 */
function* numbered(actions: readonly ActionLike[]): Generator<[ActionLike, number]> {
  let index = 0;
  for (const action of actions) {
    const takesIndex =
      action.type === 'xstate.emit' ||
      (action.type === 'xstate.raise' && (action.params as { delay?: number }).delay !== undefined && (action.params as { id?: string }).id === undefined);
    yield [action, takesIndex ? index++ : -1];
  }
}

const commandIdOf = (streamId: string, version: number, index: number) => `${streamId}/${version}/${index}`;

/** The ids and types of the commands a transition to stream `version` emitted: what `collectEffects` writes to the outbox. */
export function commandsEmitted(actions: readonly ActionLike[], streamId: string, version: number): [id: string, type: string][] {
  const commands: [string, string][] = [];
  for (const [action, index] of numbered(actions)) {
    if (action.type === 'xstate.emit') commands.push([commandIdOf(streamId, version, index), (action.params as { event: { type: string } }).event.type]);
  }
  return commands;
}

/**
 * Turns the actions that `transition()` returned into outbox rows and timer rows; nothing is
 * executed. Command ids derive from the stream position, so a retried commit writes the same ids.
 */
export function collectEffects(actions: readonly ActionLike[], context: EffectContext, into: Effects): Effects {
  for (const [action, index] of numbered(actions)) {
    switch (action.type) {
      case 'xstate.emit': {
        const command = (action.params as { event: { type: string; data?: unknown } }).event;
        const message: Message = {
          type: command.type,
          data: command.data ?? {},
          metadata: {
            messageId: commandIdOf(context.streamId, context.version, index),
            correlationId: context.streamId,
            causationId: context.cause.metadata.messageId,
            occurredAt: context.cause.metadata.occurredAt,
            ...context.trace,
          },
        };
        into.outbox.push({ topic: context.topicOf(command), key: context.streamId, message });
        break;
      }
      case 'xstate.raise': {
        const params = action.params as { event: unknown; id?: string; delay?: number };
        // An immediate raise was already processed inside transition(); only delayed ones outlive it.
        if (params.delay === undefined) break;
        const timerId = params.id ?? `${context.version}/${index}`;
        const dueAt = new Date(Date.parse(context.cause.metadata.occurredAt) + params.delay).toISOString();
        into.timersCancelled.delete(timerId);
        into.timersArmed.set(timerId, { timerId, dueAt, event: params.event, armedVersion: context.version, ...(context.trace && { trace: context.trace }) });
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
