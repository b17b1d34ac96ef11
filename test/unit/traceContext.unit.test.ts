import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../adapters/kafka/recordDecoding.ts';
import { envelopeProblem, type Message } from '../../runtime/message.ts';
import { testMessage } from '../support/messages.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const withTrace = (trace: Record<string, unknown>): Message => {
  const message = testMessage('Ping', 'saga-1');
  return { ...message, metadata: { ...message.metadata, ...trace } } as Message;
};
const record = (value: unknown, headers: Record<string, string> = {}): KafkaMessage =>
  ({ key: Buffer.from('saga-1'), value: Buffer.from(JSON.stringify(value)), offset: '7', timestamp: '0', headers, attributes: 0 }) as KafkaMessage;

describe('the trace context of a message', () => {
  it('is accepted when well-formed, with or without a tracestate', () => {
    expect(envelopeProblem(withTrace({ traceparent: TRACEPARENT }))).toBeUndefined();
    expect(envelopeProblem(withTrace({ traceparent: TRACEPARENT, tracestate: 'vendor=value' }))).toBeUndefined();
  });

  it.each([
    ['not W3C', { traceparent: 'garbage' }],
    ['upper-case hex', { traceparent: TRACEPARENT.toUpperCase() }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }],
    ['version ff', { traceparent: TRACEPARENT.replace(/^00/, 'ff') }],
    ['not a string', { traceparent: 42 }],
    ['a NUL in the tracestate', { traceparent: TRACEPARENT, tracestate: 'a=\u0000' }],
    ['a tracestate without traceparent', { tracestate: 'a=b' }],
  ])('is refused by envelopeProblem when %s: only our own code could hand such a message to a consumer', (_, trace) => {
    expect(envelopeProblem(withTrace(trace))).toMatch(/metadata\.trace/);
  });

  it('is dropped, not made poison, when a Kafka record brings a malformed one', () => {
    const { message, problem } = decodeRecord(record(withTrace({ traceparent: 'garbage', tracestate: 'x' }), { traceparent: TRACEPARENT }), 'inbox', 0);
    expect(problem).toBeUndefined();
    expect(message.metadata.traceparent).toBeUndefined();
    expect(message.metadata.tracestate).toBeUndefined();
    expect(envelopeProblem(message)).toBeUndefined();
  });

  it("is taken from the record's traceparent header when the message has none, as another tool writes it", () => {
    const { message } = decodeRecord(record(testMessage('Ping', 'saga-1'), { traceparent: TRACEPARENT, tracestate: 'k=v' }), 'inbox', 0);
    expect(message.metadata).toMatchObject({ traceparent: TRACEPARENT, tracestate: 'k=v' });
    const ignored = decodeRecord(record(testMessage('Ping', 'saga-1'), { traceparent: 'garbage' }), 'inbox', 0).message;
    expect(ignored.metadata.traceparent).toBeUndefined();
  });

  it("keeps the message's own context over the header's", () => {
    const other = '00-11111111111111111111111111111111-2222222222222222-01';
    expect(decodeRecord(record(withTrace({ traceparent: TRACEPARENT })), 'inbox', 0).message.metadata.traceparent).toBe(TRACEPARENT);
    expect(decodeRecord(record(withTrace({ traceparent: TRACEPARENT }), { traceparent: other }), 'inbox', 0).message.metadata.traceparent).toBe(TRACEPARENT);
  });
});
