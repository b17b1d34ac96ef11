import { createHash } from 'node:crypto';
import { isStorableText, MAX_ID_LENGTH, storableText, type Envelope, type Message } from './message.ts';

/** The attention reason of a saga with dead letters that nobody has replayed yet. */
export const POISON_MESSAGE = 'POISON_MESSAGE';

/** The type of the messages on the dead-letter topic. */
export const MESSAGE_DEAD_LETTERED = 'MessageDeadLettered';

/** Why a message was taken out of the flow. */
export type DeadLetterReason =
  /** The bus could not decode the record (not JSON, not a message). */
  | 'UNDECODABLE'
  /** Not a message envelope: a type, and ids and a time the store can keep. */
  | 'MALFORMED'
  /** No saga has this id. */
  | 'UNKNOWN_STREAM'
  /** The saga's machine version is not registered in this process. */
  | 'MACHINE_NOT_REGISTERED'
  /** The saga's stored events could not be replayed. */
  | 'REPLAY_FAILED'
  /** The machine declares no such event (or it is the start event, which only starts a saga). */
  | 'UNEXPECTED_EVENT'
  /** The data does not have the event's (or the command's, or the view's) shape. */
  | 'SCHEMA_VIOLATION'
  /** A reply to no command the saga emitted and still awaits. */
  | 'UNSOLICITED_REPLY'
  /** A participant performs no command of this type. */
  | 'UNEXPECTED_COMMAND'
  /** A guard, an action, a view or a participant threw on it. */
  | 'HANDLER_FAILED'
  /** The database refused a value it brings. */
  | 'STORE_REJECTED'
  /** The read model refused the view it carries. */
  | 'READ_MODEL_REJECTED';

/**
 * A message taken out of the flow, as one commit writes it: a row of the dead-letter table and a
 * message on the dead-letter topic (through the outbox); with `markApplied`, its key joins the
 * applied message ids so that a redelivery is dropped like any handled message.
 */
export type DeadLetter = Readonly<{
  /** `<consumer>:<message key>`: the same message dead-lettered again by the same consumer is one row. */
  id: string;
  consumer: string;
  streamId: string;
  /** `machineId@version` when the message belongs to a known saga. */
  machine: string | undefined;
  /** The message id, or a digest of the message when its id is unusable. */
  messageKey: string;
  /** The message as JSON text, and whether PostgreSQL's jsonb can hold it (else it is kept as text). */
  messageJson: string;
  storableAsJsonb: boolean;
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  markApplied: boolean;
  envelope: Envelope;
}>;

/**
 * Where a consumer that commits nothing to the event store (a participant, the projector) puts
 * the messages it cannot handle: the store's `deadLetter`, then the outbox records published.
 */
export type DeadLetterSink = Readonly<{ topic: string; record(letters: readonly DeadLetter[]): Promise<void> }>;

/** A dead letter as the store returns it; `message` is the JSON text when jsonb could not hold it. */
export type StoredDeadLetter = Readonly<{
  id: string;
  consumer: string;
  streamId: string;
  machine: string | null;
  messageKey: string;
  message: unknown;
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  createdAt: string;
  replayedAt: string | null;
}>;

/** Why a saga needs a person: it has dead letters nobody replayed. */
export type SagaAttention = Readonly<{ reason: typeof POISON_MESSAGE; deadLetters: number; since: string }>;

/** A key the store can index: the message id when it is one, else a digest of the whole message. */
export function messageKeyOf(message: unknown, json: string): string {
  const id = (message as { metadata?: { messageId?: unknown } } | null)?.metadata?.messageId;
  if (typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH && isStorableText(id)) return id;
  return `digest/${createHash('sha256').update(json).digest('hex')}`;
}

/** JSON.stringify that never throws (cycles, BigInt, very deep nesting): what cannot be written is described instead. */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    return JSON.stringify({ unserializable: String(value), error: (error as Error).message });
  }
}

/**
 * Whether jsonb accepts this JSON text. PostgreSQL refuses the escapes `\u0000` and lone
 * surrogates (which is how JSON.stringify writes them); a `\\u0000` (an escaped backslash) is
 * refused here too, harmlessly: such a message is kept as text.
 */
export function jsonbAccepts(json: string): boolean {
  return !/\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(json);
}

export type DeadLetterInput = Readonly<{
  message: unknown;
  reason: DeadLetterReason;
  error: unknown;
  attempts: number;
  machine?: string;
  /** Raw headers of an undecodable record; the message's ids and type otherwise. */
  headers?: Readonly<Record<string, string>>;
}>;

export type DeadLetterOptions = Readonly<{ consumer: string; topic: string; markApplied: boolean; now: () => string }>;

export const errorText = (error: unknown): string => storableText(error instanceof Error ? `${error.name}: ${error.message}` : String(error), 4000);

/** Builds the dead letter of `input.message`: its row and the message that tells the dead-letter topic, with the error, the stream and the original headers. */
export function deadLetterOf(input: DeadLetterInput, options: DeadLetterOptions): DeadLetter {
  const { message } = input;
  const messageJson = safeJson(message);
  const storableAsJsonb = jsonbAccepts(messageJson);
  const messageKey = messageKeyOf(message, messageJson);
  const metadata = (message as { metadata?: Record<string, unknown> } | null)?.metadata;
  const correlationId = metadata?.correlationId;
  const streamId = typeof correlationId === 'string' ? storableText(correlationId) : '';
  const id = `${options.consumer}:${messageKey}`;
  const error = errorText(input.error);
  const headers = input.headers ?? headersOf(message);
  const envelope: Envelope = {
    topic: options.topic,
    key: streamId,
    message: {
      type: MESSAGE_DEAD_LETTERED,
      data: {
        deadLetterId: id,
        consumer: options.consumer,
        streamId,
        machine: input.machine ?? null,
        reason: input.reason,
        error,
        attempts: input.attempts,
        headers,
        // jsonb refuses some JSON (a \u0000 escape): such a message travels as its JSON text.
        ...(storableAsJsonb ? { message } : { messageText: messageJson }),
      },
      metadata: { messageId: `dead-letter/${id}`, correlationId: streamId, causationId: messageKey, occurredAt: options.now() },
    },
  };
  return { id, consumer: options.consumer, streamId, machine: input.machine, messageKey, messageJson, storableAsJsonb, reason: input.reason, error, attempts: input.attempts, markApplied: options.markApplied, envelope };
}

/** The same dead letter with the message kept as text: for the rare JSON that jsonb refuses and `jsonbAccepts` let through. */
export function asText(letter: DeadLetter): DeadLetter {
  if (!letter.storableAsJsonb) return letter;
  const message = letter.envelope.message as Message<string, Record<string, unknown>>;
  const { message: _dropped, ...data } = message.data;
  return { ...letter, storableAsJsonb: false, envelope: { ...letter.envelope, message: { ...message, data: { ...data, messageText: letter.messageJson } } } };
}

function headersOf(message: unknown): Record<string, string> {
  const { type, metadata } = (message ?? {}) as { type?: unknown; metadata?: Record<string, unknown> };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ messageId: metadata?.messageId, correlationId: metadata?.correlationId, causationId: metadata?.causationId, type })) {
    if (typeof value === 'string') headers[name] = storableText(value);
  }
  return headers;
}
