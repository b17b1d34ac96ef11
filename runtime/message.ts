/**
 * The envelope of every event, command and reply that crosses a process boundary.
 * `correlationId` names the saga (stream) the message belongs to, so it doubles as the
 * partition key: every message of one saga lands on the same partition, in order.
 */
export type Metadata = Readonly<{
  messageId: string;
  correlationId: string;
  causationId: string;
  /** ISO-8601 time set where the message was created; the only clock a saga sees. */
  occurredAt: string;
}>;

export type Message<TType extends string = string, TData = unknown> = Readonly<{
  type: TType;
  data: TData;
  metadata: Metadata;
}>;

/** A message addressed to a topic of the bus. */
export type Envelope = Readonly<{ topic: string; key: string; message: Message }>;

/** Builds a message; `causationId` defaults to the message itself (an origin). */
export function createMessage<TType extends string, TData>(
  type: TType,
  data: TData,
  metadata: { messageId: string; correlationId: string; occurredAt: string; causationId?: string },
): Message<TType, TData> {
  return {
    type,
    data,
    metadata: {
      messageId: metadata.messageId,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId ?? metadata.messageId,
      occurredAt: metadata.occurredAt,
    },
  };
}

/** A reply's id is a function of its command's id, so a redelivered command yields a duplicate the saga drops. */
export function replyIdFor(command: Message): string {
  return `reply/${command.metadata.messageId}`;
}

/** Builds the reply to a command: same saga, caused by the command, id derived from it. */
export function replyTo<TType extends string, TData>(command: Message, type: TType, data: TData, occurredAt: string): Message<TType, TData> {
  return createMessage(type, data, {
    messageId: replyIdFor(command),
    correlationId: command.metadata.correlationId,
    causationId: command.metadata.messageId,
    occurredAt,
  });
}
