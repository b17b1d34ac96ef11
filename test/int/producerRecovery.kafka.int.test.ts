import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { startOwnKafka } from '../../chaos/servers/ownKafka.ts';
import type { OwnServer } from '../../chaos/servers/ownServer.ts';
import type { MessageBus } from '../../runtime/messageBus.ts';
import { capturingLogger } from '../support/capturingLogger.ts';
import { eventually } from '../support/eventually.ts';
import { testEnvelope, uniqueName } from '../support/messages.ts';

/** Rejects if `promise` has not settled in time: a send that hangs must fail the test, not stall it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Past the broker's message.max.bytes (1 MiB by default), so the broker refuses the record. */
const OVERSIZED = 'x'.repeat(1_100_000);

describe('Kafka bus producer when the broker and the producer disagree', () => {
  let kafka: OwnServer;
  let bus: MessageBus | undefined;
  let captured = capturingLogger();

  beforeAll(async () => {
    kafka = await startOwnKafka();
  }, 180_000);
  afterAll(async () => {
    await kafka?.dispose();
  }, 60_000);
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') console.log(captured.lines.map((line) => `${line.level} ${line.msg} ${String(line.fields.err ?? '')}`).join('\n'));
    captured = capturingLogger();
    await bus?.close();
    bus = undefined;
  }, 120_000);

  async function receiving(topic: string): Promise<Set<string>> {
    const received = new Set<string>();
    await bus!.subscribe({ group: `${topic}-reader`, topics: [topic], handler: async (batch) => batch.messages.forEach((m) => received.add(m.metadata.messageId)) });
    return received;
  }

  // A send after the failed one, with as many records as the broker appended (acknowledged as a duplicate, never
  // appended) or with more (refused as out of order, and so is every send after it).
  it.each([1, 2])('delivers a send of %i record(s) that follows a send the broker appended in part', async (count) => {
    bus = createKafkaMessageBus({ brokers: [kafka.address], partitions: 1, retryDelayMs: 100, logger: captured.logger });
    const topic = uniqueName('producer-seq').replaceAll('_', '-');
    const refusing = `${topic}-big`;
    await bus.ensureTopics([topic, refusing]);
    const received = await receiving(topic);
    await bus.publish([testEnvelope(topic, 'order-1')]);

    // One produce request: the broker appends the small record and refuses the oversized one; kafkajs then takes
    // back the sequence numbers of both, as it does when a broker restart cuts off the answer to an append.
    const appended = testEnvelope(topic, 'order-1', 'Appended');
    await expect(bus.publish([appended, testEnvelope(refusing, 'order-2', 'Oversized', { blob: OVERSIZED })])).rejects.toThrow(/larger than/i);

    const next = Array.from({ length: count }, () => testEnvelope(topic, 'order-1', 'Next'));
    await within(bus.publish(next), 20_000, 'the send after the partly appended one');
    await eventually(() => next.forEach((envelope) => expect(received).toContain(envelope.message.metadata.messageId)), { timeoutMs: 30_000 });
    expect(received).toContain(appended.message.metadata.messageId);
  }, 120_000);

  it('publishes and delivers again after the broker is killed and restarted, without a new bus', async () => {
    bus = createKafkaMessageBus({ brokers: [kafka.address], partitions: 2, retryDelayMs: 100, logger: captured.logger });
    const topic = uniqueName('producer-restart').replaceAll('_', '-');
    await bus.ensureTopics([topic]);
    const received = await receiving(topic);
    await bus.publish([testEnvelope(topic, 'order-1'), testEnvelope(topic, 'order-2')]);

    await kafka.stop({ hard: true });
    // Sent into the outage: it may fail (the outbox sends it again) but must not leave the producer unusable.
    const duringOutage = bus.publish([testEnvelope(topic, 'order-1', 'DuringOutage')]).catch(() => undefined);
    await kafka.start();
    await within(duringOutage, 60_000, 'the send into the outage');

    const after = [testEnvelope(topic, 'order-1', 'AfterRestart'), testEnvelope(topic, 'order-2', 'AfterRestart')];
    await within(bus.publish(after), 20_000, 'the first send after the restart');
    await eventually(() => after.forEach((envelope) => expect(received).toContain(envelope.message.metadata.messageId)), { timeoutMs: 45_000 });
  }, 120_000);
});
