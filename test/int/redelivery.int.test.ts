import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { createOrderService } from '../../orders/orderService.ts';
import { topicsFor } from '../../orders/topics.ts';
import { systemClock } from '../../runtime/clock.ts';
import { replyTo, type Message } from '../../runtime/message.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_KAFKA_BROKERS } from '../support/kafka.ts';
import { uniqueName } from '../support/messages.ts';
import { freshPgSchema } from '../support/postgres.ts';

describe('a saga worker on PostgreSQL and Kafka', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('changes nothing when a batch is redelivered after its database commit but before its offset commit', async () => {
    const pg = await freshPgSchema();
    cleanups.push(pg.dispose);
    const store = await createSqlSagaStore(pg.sql);
    const topics = topicsFor(uniqueName('redelivery').toLowerCase().replaceAll('_', '-'));
    const definition = orderSagaDefinition(topics);
    const runtime = createSagaRuntime({ store, registry: new MachineRegistry().register(definition) });
    const orders = createOrderService({
      runtime,
      store,
      definition,
      readModel: createMemoryOrderReadModel(),
      clock: systemClock,
      settings: { paymentTimeoutMs: 60_000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 },
    });
    const bus = createKafkaMessageBus({ brokers: TEST_KAFKA_BROKERS, partitions: 2 });
    cleanups.push(() => bus.close());
    await bus.ensureTopics([topics.sagaInbox]);

    const placed = await orders.placeOrder(orderRequestFor(1, scenarioFor(0)));
    const capture = (await store.pendingOutbox(10)).find((r) => r.envelope.message.type === 'CapturePayment')!.envelope.message;
    const reply: Message = replyTo(capture, 'PaymentCaptured', { amount: 1 }, new Date().toISOString());

    const deliveries: string[] = [];
    let crashed = false;
    const worker = await bus.subscribe({
      group: `${topics.sagaInbox}-workers`,
      topics: [topics.sagaInbox],
      handler: async ({ messages }) => {
        deliveries.push(...messages.map((m) => m.metadata.messageId));
        await runtime.handle(messages);
        if (!crashed) {
          crashed = true;
          // The transaction is durable, the offset is not: the worker "dies" here.
          runtime.evict();
          throw new Error('crash between the database commit and the offset commit');
        }
      },
    });
    await bus.publish([{ topic: topics.sagaInbox, key: placed.orderId, message: reply }]);
    await eventually(() => expect(deliveries).toEqual([reply.metadata.messageId, reply.metadata.messageId]), { timeoutMs: 30_000 });
    await worker.stop();

    const events = await store.readStream(placed.orderId);
    expect(events.map((e) => e.message.type)).toEqual(['OrderPlaced', 'PaymentCaptured']);
    const outbox = await pg.sql.query<{ type: string }>(`select message->>'type' as type from xsaga_outbox where stream_id = $1 order by id`, [placed.orderId]);
    expect(outbox.rows.map((r) => r.type).filter((t) => t === 'ReserveStock')).toHaveLength(1);
    expect((await store.appliedAmong([reply.metadata.messageId])).size).toBe(1);
  });
});
