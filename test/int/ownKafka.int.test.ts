import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { waitForTopicLeaders } from '../../adapters/kafka/topicLeaders.ts';
import { startOwnKafka } from '../../chaos/servers/ownKafka.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_KAFKA_BROKERS } from '../support/kafka.ts';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Produces one record and reads it back through a fresh group. */
async function roundTrip(broker: string, topic: string, value: string): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'own-kafka-test', brokers: [broker], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${topic}-${value}`, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  try {
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await waitForTopicLeaders(admin, [topic]);
    await producer.send({ topic, messages: [{ value }] });
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await eventually(() => expect(values).toContain(value), { timeoutMs: 30_000 });
    return values;
  } finally {
    await Promise.allSettled([admin.disconnect(), producer.disconnect(), consumer.disconnect()]);
  }
}

describe('own Kafka', () => {
  it('serves clients, survives a hard stop on its own data and ports, and leaves nothing behind', async () => {
    const dir = join(tmpdir(), `xsaga-own-kafka-${randomBytes(4).toString('hex')}`);
    const kafka = await startOwnKafka({ dir });
    let lastPid: number | undefined;
    try {
      expect(TEST_KAFKA_BROKERS).not.toContain(kafka.address);
      expect(await roundTrip(kafka.address, 'own-kafka', 'before')).toEqual(['before']);

      const pid = kafka.pid()!;
      await kafka.stop({ hard: true });
      expect(isAlive(pid)).toBe(false);
      expect(kafka.pid()).toBeUndefined();

      await kafka.start();
      lastPid = kafka.pid();
      expect(lastPid).toBeGreaterThan(0);
      expect(lastPid).not.toBe(pid);
      // The record written before the crash is still there.
      expect(await roundTrip(kafka.address, 'own-kafka', 'after')).toEqual(['before', 'after']);
    } finally {
      await kafka.dispose();
    }
    expect(isAlive(lastPid!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  }, 240_000);
});
