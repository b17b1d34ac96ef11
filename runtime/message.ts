import { traceContextProblem, wellFormedTraceContext, type TraceContext } from './traceContext.ts';

/**
 * The envelope of every event, command and reply that crosses a process boundary.
 * `correlationId` names the saga (stream) the message belongs to, so it doubles as the
 * partition key: every message of one saga lands on the same partition, in order.
 * `traceparent`/`tracestate` are the W3C trace context of the span that caused the message: they
 * travel with it through the outbox, the bus and the event store, so one saga is one trace.
 */
export type Metadata = Readonly<
  {
    messageId: string;
    correlationId: string;
    causationId: string;
    /** ISO-8601 time set where the message was created; the only clock a saga sees. */
    occurredAt: string;
  } & TraceContext
>;

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
  metadata: { messageId: string; correlationId: string; occurredAt: string; causationId?: string } & TraceContext,
): Message<TType, TData> {
  return {
    type,
    data,
    metadata: {
      messageId: metadata.messageId,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId ?? metadata.messageId,
      occurredAt: metadata.occurredAt,
      // A message without a trace keeps no empty keys.
      ...wellFormedTraceContext(metadata),
    },
  };
}


/** A reply's id is a function of its command's id, so a redelivered command yields a duplicate the saga drops. */
export function replyIdFor(command: Message): string {
  return `reply/${command.metadata.messageId}`;
}

/** Builds the reply to a command: same saga, caused by the command, id derived from it; `trace` is the span that handled it. */
export function replyTo<TType extends string, TData>(command: Message, type: TType, data: TData, occurredAt: string, trace: TraceContext = {}): Message<TType, TData> {
  return createMessage(type, data, {
    messageId: replyIdFor(command),
    correlationId: command.metadata.correlationId,
    causationId: command.metadata.messageId,
    occurredAt,
    ...trace,
  });
}

/** Text PostgreSQL can keep in a text column: no NUL, no lone surrogate. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/** `value` made storable: NULs and lone surrogates become U+FFFD, and it is cut at `max` characters. */
export function storableText(value: string, max = MAX_ID_LENGTH): string {
  return value.replaceAll('\u0000', '\uFFFD').toWellFormed().slice(0, max);
}

/** The longest id a message may have: ids are keys of indexed columns. */
export const MAX_ID_LENGTH = 512;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What keeps `value` from being a message any consumer can handle, or undefined: a type, three
 * ids and a time that the store can keep (a consumer marks ids applied and groups by correlation),
 * and, if any, a well-formed trace context. Refusing a malformed one is safe because nothing from
 * outside reaches a consumer with one: the Kafka bus drops it when it decodes a record, the API
 * when it reads a request's `traceparent` (docs/decisions/0020).
 */
export function envelopeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a message must be an object';
  const { type, metadata } = value;
  if (typeof type !== 'string' || type === '' || type.length > MAX_ID_LENGTH || !isStorableText(type)) return 'type must be a non-empty string the store can keep';
  if (!isRecord(metadata)) return 'metadata must be an object';
  for (const field of ['messageId', 'correlationId', 'causationId'] as const) {
    const id = metadata[field];
    if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH || !isStorableText(id)) {
      return `metadata.${field} must be a non-empty string of at most ${MAX_ID_LENGTH} characters without NUL or lone surrogates`;
    }
  }
  if (typeof metadata.occurredAt !== 'string' || Number.isNaN(Date.parse(metadata.occurredAt))) return 'metadata.occurredAt must be an ISO-8601 time';
  return traceContextProblem(metadata);
}
