import type { KafkaMessage } from 'kafkajs';
import { envelopeProblem, storableText, type Message } from '../../runtime/message.ts';
import { UNDECODABLE, type UndecodableData } from '../../runtime/messageBus.ts';

const text = (value: Buffer | string): string => storableText(typeof value === 'string' ? value : value.toString('utf8'), 4000);

/**
 * The message a record holds, or, when it holds none (not JSON, not a message envelope), an
 * `xsaga.Undecodable` message that carries the record as it was: its consumer dead-letters it,
 * where redelivering it would block the partition forever and skipping it would lose it unseen.
 */
export function decodeRecord(record: KafkaMessage, topic: string, partition: number): { message: Message; problem?: string } {
  let problem: string;
  try {
    const parsed: unknown = JSON.parse(record.value?.toString('utf8') ?? '');
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
