import { Kafka, logLevel, Partitioners, type Admin, type KafkaMessage } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import type { Message } from '../../runtime/message.ts';
import { UNDECODABLE, type MessageBus, type PartitionBatch, type UndecodableData } from '../../runtime/messageBus.ts';
import { messageBusContract } from '../contracts/messageBusContract.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_KAFKA_BROKERS } from '../support/kafka.ts';
import { testEnvelope, uniqueName } from '../support/messages.ts';

const createBus = () => createKafkaMessageBus({ brokers: TEST_KAFKA_BROKERS, clientId: 'xsaga-int-test', retryDelayMs: 100 });

messageBusContract('Kafka', async () => createBus(), 30_000);

/** Where Java's producer puts these keys on an 8-partition topic (murmur2, computed with kafka-clients 4.4). */
const JAVA_PARTITION: Record<string, number> = { 'order-1': 6, 'order-2': 3, 'order-42': 0 };

const seqOf = (message: Message) => (message.data as { seq: number }).seq;
/** The partition of an 8-partition topic that the bus's (Java-compatible) partitioner gives `key`. */
const partitionOfKey = (key: string) =>
  Partitioners.DefaultPartitioner()({ topic: 'any', partitionMetadata: Array.from({ length: 8 }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })), message: { key, value: null } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Kafka message bus', () => {
  let bus: MessageBus;
  let topic: string;
  let admin: Admin;
  const raw = new Kafka({ clientId: 'xsaga-int-test-raw', brokers: TEST_KAFKA_BROKERS, logLevel: logLevel.NOTHING });

  beforeEach(async () => {
    bus = createBus();
    topic = uniqueName('kafka').replaceAll('_', '-');
    await bus.ensureTopics([topic]);
    admin = raw.admin();
    await admin.connect();
  });
  afterEach(async () => {
    await bus.close();
    await admin.disconnect();
  });

  it('creates missing topics with 8 partitions and leaves existing ones alone', async () => {
    const other = `${topic}-other`;
    await bus.ensureTopics([topic, other, other]);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic, other] });
    expect(topics.map((t) => t.partitions.length)).toEqual([8, 8]);
  });

  it('writes the message as JSON with its ids and type in headers, on the partition Java would choose', async () => {
    const envelopes = Object.keys(JAVA_PARTITION).map((key) => testEnvelope(topic, key, 'OrderPlaced', { key }));
    await bus.publish(envelopes);
    const records: { partition: number; message: KafkaMessage }[] = [];
    const consumer = raw.consumer({ groupId: `${topic}-raw`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => void records.push({ partition, message }) });
      await eventually(() => expect(records).toHaveLength(3), { timeoutMs: 15_000 });
    } finally {
      await consumer.disconnect();
    }
    for (const { key, message } of envelopes) {
      const record = records.find((r) => r.message.key?.toString() === key)!;
      expect(record.partition).toBe(JAVA_PARTITION[key]);
      expect(JSON.parse(record.message.value!.toString())).toEqual(message);
      const headers = Object.fromEntries(Object.entries(record.message.headers ?? {}).map(([name, value]) => [name, String(value)]));
      expect(headers).toEqual({ messageId: message.metadata.messageId, correlationId: key, causationId: message.metadata.causationId, type: 'OrderPlaced' });
    }
  });

  it('commits nothing past a failing batch until it succeeds, then goes on without loss or duplicates', async () => {
    const group = `${topic}-fail`;
    const partition = JAVA_PARTITION['order-1']!;
    const committed = async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return Number(offsets!.partitions.find((p) => p.partition === partition)!.offset);
    };
    await bus.publish(Array.from({ length: 6 }, (_, seq) => testEnvelope(topic, 'order-1', 'Numbered', { seq })));
    const handled: number[] = [];
    let failing = true;
    let failures = 0;
    const sub = await bus.subscribe({
      group,
      topics: [topic],
      maxBatchSize: 2,
      handler: async (batch: PartitionBatch) => {
        const seqs = batch.messages.map(seqOf);
        if (failing && seqs.includes(2)) {
          failures++;
          throw new Error('transient');
        }
        handled.push(...seqs);
      },
    });
    await eventually(() => expect(failures).toBeGreaterThanOrEqual(3), { timeoutMs: 15_000 });
    expect(Math.max(...handled)).toBeLessThan(2);
    // Offsets are committed lazily, but what was handled is committed within the interval, and nothing past it.
    await eventually(async () => expect(await committed()).toBe(handled.length), { timeoutMs: 5_000 });
    expect(Math.max(...handled)).toBeLessThan(2);
    failing = false;
    await eventually(() => expect(handled).toEqual([0, 1, 2, 3, 4, 5]), { timeoutMs: 15_000 });
    await eventually(async () => expect(await committed()).toBe(6), { timeoutMs: 5_000 });
    await sub.stop();
  });

  it('hands a record that holds no message to the handler as xsaga.Undecodable, with its raw bytes, key and headers, and goes on', async () => {
    const group = `${topic}-undecodable`;
    const partition = JAVA_PARTITION['order-1']!;
    const producer = raw.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: [
          { key: 'order-1', value: Buffer.from('not json {'), headers: { source: 'legacy' } },
          { key: 'order-1', value: JSON.stringify({ hello: 'world' }) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    await bus.publish([testEnvelope(topic, 'order-1', 'Numbered', { seq: 1 })]);
    const received: Message[] = [];
    const sub = await bus.subscribe({ group, topics: [topic], handler: async (batch) => void received.push(...batch.messages) });
    await eventually(() => expect(received).toHaveLength(3), { timeoutMs: 15_000 });
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    expect(received[0]).toMatchObject({
      type: UNDECODABLE,
      data: { topic, partition, offset: '0', key: base64('order-1'), value: base64('not json {'), headers: { source: 'legacy' } },
      metadata: { messageId: `undecodable/${topic}/${partition}/0`, correlationId: 'order-1' },
    });
    expect((received[0]!.data as UndecodableData).error).toMatch(/^not JSON/);
    expect((received[1]!.data as UndecodableData).error).toMatch(/^not a message: type must be/);
    expect(received[2]!.type).toBe('Numbered');
    // Handled like any batch: committed past all three, never delivered again.
    await eventually(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        expect(Number(offsets!.partitions.find((p) => p.partition === partition)!.offset)).toBe(3);
      },
      { timeoutMs: 5_000 },
    );
    await sub.stop();
  });

  it('hands the partition batches of a fetch to the handler as one batch, in order per key, and commits them all', async () => {
    const group = `${topic}-merged`;
    const keys = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    await bus.publish(keys.flatMap((key) => [0, 1].map((round) => testEnvelope(topic, key, 'Numbered', { seq: round }))));
    const batches: PartitionBatch[] = [];
    const sub = await bus.subscribe({ group, topics: [topic], maxBatchSize: 1000, handler: async (batch) => void batches.push(batch) });
    await eventually(() => expect(batches.flatMap((b) => b.messages)).toHaveLength(80), { timeoutMs: 15_000 });
    expect(batches.some((b) => b.partition === -1 && new Set(b.messages.map((m) => partitionOfKey(m.metadata.correlationId))).size > 1)).toBe(true);
    expect(batches.every((b) => b.topic === topic)).toBe(true);
    for (const key of keys) {
      expect(batches.flatMap((b) => b.messages).filter((m) => m.metadata.correlationId === key).map(seqOf), key).toEqual([0, 1]);
    }
    await eventually(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        expect(offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(80);
      },
      { timeoutMs: 5_000 },
    );
    await sub.stop();
  });

  it('commits handled offsets lazily, all of them in one go at the latest when the member stops', async () => {
    const group = `${topic}-lazy`;
    const lazyBus = createKafkaMessageBus({ brokers: TEST_KAFKA_BROKERS, clientId: 'xsaga-int-test-lazy', offsetCommitIntervalMs: 60_000 });
    const committedTotal = async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    try {
      let handled = 0;
      const first = await lazyBus.subscribe({ group, topics: [topic], handler: async (batch) => void (handled += batch.messages.length) });
      // The first batch is committed at once (no commit yet this interval), the ones after it wait for the interval.
      await bus.publish([testEnvelope(topic, 'order-1', 'Numbered', { seq: 0 })]);
      await eventually(async () => expect(await committedTotal()).toBe(1), { timeoutMs: 15_000 });
      await bus.publish(Array.from({ length: 30 }, (_, i) => testEnvelope(topic, `order-${i}`, 'Numbered', { seq: i + 1 })));
      await eventually(() => expect(handled).toBe(31), { timeoutMs: 15_000 });
      // That the 30 waited for the interval is offsetCommitter.unit.test.ts's to show, on a test clock;
      // here, that a stop commits what was handled, in Kafka.
      await first.stop();
      expect(await committedTotal()).toBe(31);
      // The next member of the group starts after everything handled: nothing is delivered twice.
      const again: number[] = [];
      const second = await lazyBus.subscribe({ group, topics: [topic], handler: async (batch) => void again.push(...batch.messages.map(seqOf)) });
      await bus.publish([testEnvelope(topic, 'order-2', 'Numbered', { seq: 99 })]);
      await eventually(() => expect(again).toEqual([99]), { timeoutMs: 15_000 });
      await second.stop();
    } finally {
      await lazyBus.close();
    }
  });

  it('splits the partitions between the members of a group and hands them over when one stops', async () => {
    const group = `${topic}-members`;
    type Member = { handled: { seq: number; partition: number }[]; probed: Set<number>; revoked: number[][]; delayMs: number };
    const a: Member = { handled: [], probed: new Set(), revoked: [], delayMs: 0 };
    const b: Member = { handled: [], probed: new Set(), revoked: [], delayMs: 0 };
    const join = (member: Member) =>
      bus.subscribe({
        group,
        topics: [topic],
        maxBatchSize: 10,
        onRevoked: (revoked) => void member.revoked.push(revoked.map((tp) => tp.partition).sort()),
        handler: async (batch) => {
          if (member.delayMs > 0) await sleep(member.delayMs);
          // A batch may span partitions (partition -1): each message's partition follows from its key.
          for (const message of batch.messages) {
            const partition = partitionOfKey(message.metadata.correlationId);
            if (message.type === 'Probe') member.probed.add(partition);
            else member.handled.push({ seq: seqOf(message), partition });
          }
        },
      });
    const partitionsOf = (member: Member, from = 0) => new Set(member.handled.filter((h) => h.seq >= from).map((h) => h.partition));
    const publish = (from: number, count: number) =>
      bus.publish(Array.from({ length: count }, (_, i) => testEnvelope(topic, `order-${from + i}`, 'Numbered', { seq: from + i })));
    const seqs = () => [...a.handled, ...b.handled].map((h) => h.seq).sort((x, y) => x - y);

    const subA = await join(a);
    // A holds every partition once it has handled a probe on each: kafkajs may start a member again
    // after its first join failed, and its subscription is then under way before it holds anything.
    const probeKeys = new Map<number, string>();
    for (let i = 0; probeKeys.size < 8; i++) if (!probeKeys.has(partitionOfKey(`probe-${i}`))) probeKeys.set(partitionOfKey(`probe-${i}`), `probe-${i}`);
    await bus.publish([...probeKeys.values()].map((key) => testEnvelope(topic, key, 'Probe', {})));
    await eventually(() => expect(a.probed.size).toBe(8), { timeoutMs: 20_000 });
    const revokedBeforeB = a.revoked.length;
    const subB = await join(b);
    // B joining made A give up everything it held before rejoining.
    await eventually(() => expect(a.revoked.slice(revokedBeforeB)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]), { timeoutMs: 20_000 });

    await publish(0, 160);
    await eventually(() => expect(seqs().length).toBeGreaterThanOrEqual(160), { timeoutMs: 20_000 });
    expect(seqs()).toEqual(Array.from({ length: 160 }, (_, i) => i));
    const ofA = partitionsOf(a);
    const ofB = partitionsOf(b);
    expect(ofA.size).toBeGreaterThan(0);
    expect(ofB.size).toBeGreaterThan(0);
    expect([...ofA].filter((p) => ofB.has(p))).toEqual([]);
    expect(ofA.size + ofB.size).toBe(8);

    // B is slow, so when it stops its partitions still hold messages that A must pick up.
    b.delayMs = 150;
    await publish(160, 400);
    await eventually(() => expect(b.handled.some((h) => h.seq >= 160)).toBe(true), { timeoutMs: 15_000 });
    await subB.stop();
    expect(b.revoked).toEqual([[...ofB].sort()]);
    await eventually(() => expect(new Set(seqs()).size).toBe(560), { timeoutMs: 30_000 });
    expect(a.revoked.slice(revokedBeforeB)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7], [...ofA].sort()]);
    expect([...partitionsOf(a, 160)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await subA.stop();
  });
});
