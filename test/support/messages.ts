import type { Envelope, Message } from '../../runtime/message.ts';

let sequence = 0;

/** A message with unique ids, for tests that do not care about its content. */
export function testMessage(type: string, correlationId: string, data: unknown = {}, messageId = `m-${++sequence}-${type}`): Message {
  return { type, data, metadata: { messageId, correlationId, causationId: messageId, occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence % 60)).toISOString() } };
}

export function testEnvelope(topic: string, key: string, type = 'Ping', data: unknown = {}): Envelope {
  return { topic, key, message: testMessage(type, key, data) };
}

/** A name unique to this test run, for schemas, topics and indices on shared servers. */
export function uniqueName(prefix: string): string {
  // The run's mark (test/globalSetup.ts) lets its teardown delete its own Kafka topics, and only those.
  return `${prefix}_${testRunMark()}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** The mark of this test run in the names it makes; `x0` outside a run that set one. */
export const testRunMark = (): string => process.env.XSAGA_TEST_RUN ?? 'x0';
