import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { DEFAULT_MIX, orderRequestFor } from '../../app/orderMix.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { createOrderService } from '../../orders/orderService.ts';
import { consumerGroupsFor, topicsFor } from '../../orders/topics.ts';
import { systemClock } from '../../runtime/clock.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import { eventually } from '../support/eventually.ts';
import { createKafkaInspector, type TopicRecord } from '../support/kafkaInspector.ts';
import { partitionOfKey } from '../support/partitionOwnership.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';
import { productionEnv } from '../support/productionEnv.ts';

const ORDERS = 6;
const PARTITIONS = 2;
const HAPPY_PATH = ['OrderPlaced', 'PaymentCaptured', 'StockReserved', 'ShipmentCreated'];

type EventRow = { stream_id: string; version: number; type: string; message_id: string };

describe('a saga worker process on PostgreSQL and Kafka', () => {
  const processes: RunningProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('changes nothing when it is killed after its database commits and before its offset commits, and the next worker finishes its sagas', { timeout: 240_000 }, async () => {
    const production = await productionEnv('redelivery');
    cleanups.push(production.dispose);
    const { sql } = production;
    const env = { ...production.env, XSAGA_PARTITIONS: String(PARTITIONS) };
    const topics = topicsFor(production.topicPrefix);
    const workers = consumerGroupsFor(production.topicPrefix).sagaWorker;
    const kafka = await createKafkaInspector();
    cleanups.push(() => kafka.close());
    const start = async (role: string, extra: Record<string, string> = {}) => {
      const started = await startNodeProcess(['app/main.ts', role], { env: { ...env, ...extra }, ready: /xsaga ready/, timeoutMs: 90_000 });
      processes.push(started);
      return started;
    };

    // Placed before the relay starts, so that its first sweep publishes every order's first command at once.
    const store = await createSqlSagaStore(sql);
    const definition = orderSagaDefinition(topics);
    const orders = createOrderService({
      runtime: createSagaRuntime({ store, registry: new MachineRegistry().register(definition) }),
      store,
      definition,
      readModel: createMemoryOrderReadModel(),
      clock: systemClock,
      settings: { paymentTimeoutMs: 120_000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 },
    });
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) ids.push((await orders.placeOrder(orderRequestFor(i, DEFAULT_MIX[0]!))).orderId);
    const eventsOf = async () =>
      (
        await sql.query<EventRow>(
          `select stream_id, version, type, metadata->>'messageId' as message_id from xsaga_events where stream_id = any($1::text[]) order by stream_id, version`,
          [ids],
        )
      ).rows;

    // After a first commit made at once, offsets wait a minute to be committed, and the kill comes well within it:
    // what the worker handles from then on is in the database only.
    const doomedWorker = await start('worker', { XSAGA_KAFKA_COMMIT_INTERVAL_MS: '60000' });
    // Slow steps: the kill finds sagas still shipping, which the next worker then has to finish, not only drop.
    await start('participants', { XSAGA_CHAOS_LATENCY_MS: '3000' });
    await start('relay');
    // Every saga past its second step: the replies that moved it there were published after the worker's first commit.
    await eventually(
      async () => {
        const versions = await sql.query<{ version: number }>('select version from xsaga_streams where stream_id = any($1::text[])', [ids]);
        expect(versions.rows.map((r) => r.version).filter((v) => v >= 3)).toHaveLength(ORDERS);
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
    await doomedWorker.stop('SIGKILL');

    const eventsAtKill = await eventsOf();
    const activeAtKill = ids.filter((id) => !eventsAtKill.some((e) => e.stream_id === id && e.type === 'ShipmentCreated')).length;
    const committedAtKill = await kafka.committedOffsets(workers, topics.sagaInbox);
    const inboxAtKill = await kafka.records(topics.sagaInbox);
    // A saga's messages all travel on the partition its id hashes to: that is what keeps them in order.
    for (const record of inboxAtKill) expect(record.partition).toBe(partitionOfKey(record.key, PARTITIONS));
    const applied = await sql.query<{ message_id: string }>('select message_id from xsaga_applied_messages where message_id = any($1::text[])', [
      inboxAtKill.map((r) => r.messageId),
    ]);
    const appliedAtKill = new Set(applied.rows.map((r) => r.message_id));
    // Committed to the database by the killed worker, not to Kafka: its group must read them again.
    const uncommitted = (record: TopicRecord) => record.offset >= (committedAtKill.get(record.partition) ?? -1n);
    const appliedNotCommitted = inboxAtKill.filter((record) => uncommitted(record) && appliedAtKill.has(record.messageId));
    expect(appliedNotCommitted.map((r) => r.type)).toEqual(expect.arrayContaining(['StockReserved']));

    const nextWorker = await start('worker');
    await eventually(
      async () => {
        const done = await sql.query<{ n: string }>(`select count(*) as n from xsaga_streams where stream_id = any($1::text[]) and status = 'done'`, [ids]);
        expect(Number(done.rows[0]!.n)).toBe(ORDERS);
      },
      // A dead member holds its partitions until its session times out (30 s), and only then does the next worker get them.
      { timeoutMs: 150_000, intervalMs: 250, failFast: () => expect(nextWorker.child.exitCode).toBeNull() },
    );
    // The group read on from where the killed worker had committed, so the next worker was handed those messages again.
    // A partition no order hashed to (six random ids can all fall on one of two) holds nothing, and no group commits an offset on it.
    const endWhenDone = [...(await kafka.endOffsets(topics.sagaInbox))].filter(([, end]) => end > 0n);
    await eventually(
      async () => {
        const committed = await kafka.committedOffsets(workers, topics.sagaInbox);
        for (const [partition, end] of endWhenDone) expect(committed.get(partition) ?? -1n, `committed offset of ${topics.sagaInbox}[${partition}]`).toBeGreaterThanOrEqual(end);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    // Each step exactly once, versions without a gap, and nothing written before the kill changed.
    const events = await eventsOf();
    for (const id of ids) {
      const stream = events.filter((e) => e.stream_id === id);
      expect(stream.map((e) => e.type)).toEqual(HAPPY_PATH);
      expect(stream.map((e) => e.version)).toEqual(HAPPY_PATH.map((_, i) => i + 1));
    }
    expect(events).toEqual(expect.arrayContaining(eventsAtKill));
    for (const { messageId } of appliedNotCommitted) expect(events.filter((e) => e.message_id === messageId)).toHaveLength(1);
    const commands = await sql.query<{ stream_id: string; type: string }>(
      `select stream_id, message->>'type' as type from xsaga_outbox where stream_id = any($1::text[]) and topic <> $2 order by id`,
      [ids, topics.orderEvents],
    );
    for (const id of ids) expect(commands.rows.filter((c) => c.stream_id === id).map((c) => c.type)).toEqual(['CapturePayment', 'ReserveStock', 'CreateShipment']);

    console.log(
      `redelivery: a worker killed with ${appliedNotCommitted.length} inbox messages committed to PostgreSQL and not to Kafka ` +
        `(${[...committedAtKill].map(([p, offset]) => `[${p}]@${offset}`).join(' ')}); the next worker read them again ` +
        `and completed the ${activeAtKill} sagas still shipping at the kill; ${ORDERS} sagas completed, each step once`,
    );
  });
});
