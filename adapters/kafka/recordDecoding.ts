import type { KafkaMessage } from 'kafkajs';
import { envelopeProblem, storableText, type Message } from '../../runtime/message.ts';
import { UNDECODABLE, type UndecodableData } from '../../runtime/messageBus.ts';
import { wellFormedTraceContext } from '../../runtime/traceContext.ts';

const text = (value: Buffer | string): string => storableText(typeof value === 'string' ? value : value.toString('utf8'), 4000);

const headerText = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? headerText(value[0]) : value.toString();

/**
 * `value` with a well-formed trace context or none: a malformed one, which another producer may
 * have written, is dropped rather than making the message malformed; a message without one takes
 * the record's `traceparent` header, as other tools write it. Anything but a message object is
 * left as it is, for `envelopeProblem` to judge.
 */
function withTraceContext(value: unknown, headers: KafkaMessage['headers']): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { metadata } = value as { metadata?: unknown };
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return value;
  const fields = metadata as Record<string, unknown>;
  const carried = wellFormedTraceContext(fields.traceparent === undefined ? { traceparent: headerText(headers?.traceparent), tracestate: headerText(headers?.tracestate) } : fields);
  if (carried.traceparent === fields.traceparent && carried.tracestate === fields.tracestate) return value;
  const { traceparent: _traceparent, tracestate: _tracestate, ...rest } = fields;
  return { ...value, metadata: { ...rest, ...carried } };
}

/**
 * The message a record holds, or, when it holds none (not JSON, not a message envelope), an
 * `xsaga.Undecodable` message that carries the record as it was: its consumer dead-letters it,
 * where redelivering it would block the partition forever and skipping it would lose it unseen.
 */
export function decodeRecord(record: KafkaMessage, topic: string, partition: number): { message: Message; problem?: string } {
  let problem: string;
  try {
    const parsed = withTraceContext(JSON.parse(record.value?.toString('utf8') ?? ''), record.headers);
    const envelope = envelopeProblem(parsed);
    if (envelope === undefined) return { message: parsed as Message };
    problem = `not a message: ${envelope}`;
  } catch (error) {
    problem = `not JSON: ${(error as Error).message}`;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (value !== undefined) headers[storableText(name)] = Array.isArray(value) ? value.map(text).join(', ') : text(value);
  }
  const data: UndecodableData = {
    topic,
    partition,
    offset: record.offset,
    error: problem,
    key: record.key ? record.key.toString('base64') : null,
    value: record.value ? record.value.toString('base64') : null,
    headers,
  };
  const messageId = `undecodable/${topic}/${partition}/${record.offset}`;
  const key = record.key ? storableText(record.key.toString('utf8')) : '';
  const timestamp = Number(record.timestamp);
  return {
    problem,
    message: {
      type: UNDECODABLE,
      data,
      metadata: {
        messageId,
        // The key names the saga the record was meant for, if anyone's.
        correlationId: key === '' ? `undecodable/${topic}/${partition}` : key,
        causationId: messageId,
        occurredAt: new Date(Number.isFinite(timestamp) ? timestamp : Date.now()).toISOString(),
      },
    },
  };
}
