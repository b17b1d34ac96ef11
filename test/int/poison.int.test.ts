import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { createPgClient } from '../../adapters/postgres/pgClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { createOrderService } from '../../orders/orderService.ts';
import { allTopics, topicsFor } from '../../orders/topics.ts';
import { systemClock } from '../../runtime/clock.ts';
import { replyTo, type Message } from '../../runtime/message.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_KAFKA_BROKERS } from '../support/kafka.ts';
import { uniqueName } from '../support/messages.ts';
import { POISON_CAUSES, runPoisonScenario } from '../support/poisonScenario.ts';
import { freshPgSchema } from '../support/postgres.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
});

/** A schema of its own on the real PostgreSQL, topics of their own on the real Kafka. */
async function realServers(prefix: string) {
  const pg = await freshPgSchema(`xsaga_${prefix}`);
  cleanups.push(pg.dispose);
  const store = await createSqlSagaStore(pg.sql);
  const topics = topicsFor(uniqueName(prefix).toLowerCase().replaceAll('_', '-'));
  const bus = createKafkaMessageBus({ brokers: TEST_KAFKA_BROKERS, partitions: 4, retryDelayMs: 100 });
  cleanups.push(() => bus.close());
  await bus.ensureTopics(allTopics(topics));
  return { sql: pg.sql, store, topics, bus };
}

describe('poison on PostgreSQL and Kafka', () => {
  it.each(POISON_CAUSES)('%s: dead-lettered, and the sagas of its batch flow past it', { timeout: 180_000 }, async (cause) => {
    const { sql, store, topics, bus } = await realServers('poison');
    const raw = new Kafka({ clientId: 'xsaga-poison-test', brokers: TEST_KAFKA_BROKERS, logLevel: logLevel.NOTHING });
    const { flowedPastMs, deadLetter } = await runPoisonScenario(
      {
        label: 'Kafka + PostgreSQL',
        store,
        sql,
        bus,
        topics,
        async publishUndecodable(key) {
          const producer = raw.producer({ createPartitioner: Partitioners.DefaultPartitioner });
          await producer.connect();
          try {
            await producer.send({ topic: topics.sagaInbox, messages: [{ key, value: Buffer.from([0x7b, 0xff, 0xfe, 0x00]), headers: { origin: 'legacy-system' } }] });
          } finally {
            await producer.disconnect();
          }
        },
        undecodableReason: 'UNDECODABLE',
      },
      cause,
      { timeoutMs: 120_000 },
    );
    expect(flowedPastMs).toBeGreaterThanOrEqual(0);
    if (cause === 'undecodable record') {
      // The record as it was: its raw bytes and key, and its headers on the dead-letter topic.
      expect(deadLetter.message).toMatchObject({ data: { value: Buffer.from([0x7b, 0xff, 0xfe, 0x00]).toString('base64'), key: Buffer.from(deadLetter.streamId).toString('base64') } });
      const [announced] = (await sql.query<{ headers: unknown }>(`select message->'data'->'headers' as headers from xsaga_outbox where topic = $1`, [topics.deadLetters])).rows;
      expect(announced?.headers).toEqual({ origin: 'legacy-system' });
    }
  });

  it('dead-letters nothing while the database refuses connections: the batch is delivered again and goes through', { timeout: 120_000 }, async () => {
    const { sql, store, topics, bus } = await realServers('dbdown');
    const definition = orderSagaDefinition(topics);
    const registry = new MachineRegistry().register(definition);
    const setup = createSagaRuntime({ store, registry, deadLetterTopic: topics.deadLetters });
    const orders = createOrderService({ runtime: setup, store, definition, readModel: createMemoryOrderReadModel(), clock: systemClock, settings: { paymentTimeoutMs: 600_000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 } });
    const placed = await Promise.all([0, 1, 2].map(async (i) => (await orders.placeOrder(orderRequestFor(i, scenarioFor(0)))).orderId));
    const replies: Message[] = [];
    for (const orderId of placed) {
      const [capture] = (await sql.query<{ message: Message }>(`select message from xsaga_outbox where stream_id = $1 and message->>'type' = 'CapturePayment'`, [orderId])).rows;
      replies.push(replyTo(capture!.message, 'PaymentCaptured', { amount: 1 }, new Date().toISOString()));
    }
    // Down for the first two commits: a real refused connection, what a stopped server gives.
    const unreachable = await createPgClient({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    cleanups.push(() => unreachable.close());
    let down = 2;
    const failures: string[] = [];
    const flaky: SagaStore = {
      ...store,
      async commit(changes, letters) {
        if (down-- > 0) {
          await unreachable.query('select 1').catch((error: unknown) => {
            failures.push((error as Error).message);
            throw error;
          });
        }
        return store.commit(changes, letters);
      },
    };
    const worker = createSagaRuntime({ store: flaky, registry, deadLetterTopic: topics.deadLetters });
    let deliveries = 0;
    const subscription = await bus.subscribe({
      group: `${topics.sagaInbox}-workers`,
      topics: [topics.sagaInbox],
      handler: async ({ messages }) => {
        deliveries += messages.length;
        await worker.handle(messages);
      },
    });
    cleanups.push(() => subscription.stop());
    await bus.publish(replies.map((message) => ({ topic: topics.sagaInbox, key: message.metadata.correlationId, message })));
    await eventually(
      async () => {
        for (const orderId of placed) expect((await store.load(orderId))!.head.version).toBe(2);
      },
      { timeoutMs: 60_000 },
    );
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/ECONNREFUSED/);
    expect(deliveries).toBeGreaterThanOrEqual(replies.length * 2);
    expect(await store.deadLetters({ limit: 10 })).toEqual([]);
  });
});
