import type { MessageBus } from '../../runtime/messageBus.ts';

export type DeliveryLog = Readonly<{
  /** The bus to hand to the system: every batch a handler finished is counted. */
  bus: MessageBus;
  /** How many times `group`'s handlers finished a batch holding the message with this id. */
  handled(group: string, messageId: string): number;
}>;

/**
 * Counts what each consumer group has handled: the positive signal a test waits for before it
 * asserts that redelivered messages had no effect, instead of sleeping and hoping they arrived.
 */
export function recordDeliveries(bus: MessageBus): DeliveryLog {
  const counts = new Map<string, number>();
  const key = (group: string, messageId: string) => `${group}|${messageId}`;
  return {
    bus: {
      ...bus,
      subscribe: (options) =>
        bus.subscribe({
          ...options,
          handler: async (batch) => {
            await options.handler(batch);
            for (const message of batch.messages) {
              const k = key(options.group, message.metadata.messageId);
              counts.set(k, (counts.get(k) ?? 0) + 1);
            }
          },
        }),
    },
    handled: (group, messageId) => counts.get(key(group, messageId)) ?? 0,
  };
}
