/**
 * The raw saga-shaped baseline: the same PostgreSQL transactions and rows, Kafka messages (same
 * acks, idempotent producer, partitions, keys) and Redis operations per saga as xsaga's happy path,
 * written with plain `pg`, `kafkajs`, `ioredis` and `express`: no XState, no actors, no runtime. It
 * reads Kafka through xsaga's bus adapter, the one piece shared, so that only the runtime differs.
 * It runs every role in this one process; it prints `baseline ready <url>` when it listens.
 */
import { Client as Elasticsearch } from '@elastic/elasticsearch';
import express from 'express';
import { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import pg from 'pg';
import { applyKafkajsIdleLoopFix } from '../../adapters/kafka/kafkajsIdleLoopFix.ts';

applyKafkajsIdleLoopFix();
const env = process.env;
const schema = env.BASELINE_SCHEMA!;
const prefix = env.BASELINE_TOPIC_PREFIX!;
const topics = { inbox: `${prefix}.inbox`, steps: `${prefix}.steps`, facts: `${prefix}.order-events` };
const pool = new pg.Pool({ connectionString: env.BASELINE_PG_URL, max: 10, options: `-c search_path=${schema}` });
const redis = new Redis(env.BASELINE_REDIS_URL!, { enableAutoPipelining: true });
const kafka = new Kafka({ clientId: 'baseline', brokers: env.BASELINE_KAFKA_BROKERS!.split(','), logLevel: logLevel.ERROR });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
const admin = kafka.admin();

await pool.query(`create schema if not exists ${schema}`);
for (const ddl of [
  'create table sagas (id text primary key, step int not null, version int not null, body jsonb not null, placed_at timestamptz not null)',
  'create table events (id text, version int, type text, data jsonb, primary key (id, version))',
  'create table outbox (seq bigserial primary key, topic text, key text, message jsonb, published boolean not null default false)',
  'create table applied (message_id text primary key)',
  'create table effects (order_id text, operation text, outcome jsonb, primary key (order_id, operation))',
]) await pool.query(ddl);
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 8, replicationFactor: 1 })) });
await producer.connect();

const STEPS = ['CapturePayment', 'ReserveStock', 'CreateShipment'];
const REPLIES = ['PaymentCaptured', 'StockReserved', 'ShipmentCreated'];
type Msg = { id: string; type: string; orderId: string; data: unknown };

async function transaction<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

let wakeRelay = () => undefined as void;
async function relay(): Promise<void> {
  for (;;) {
    const rows = (await pool.query('select seq, topic, key, message from outbox where not published order by seq limit 2000')).rows;
    if (rows.length === 0) {
      await new Promise<void>((resolve) => {
        wakeRelay = resolve;
        setTimeout(resolve, 250);
      });
      continue;
    }
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), { key: row.key, value: JSON.stringify(row.message) }]);
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    await pool.query('update outbox set published = true where seq = any($1::bigint[])', [rows.map((r) => r.seq)]);
  }
}

const outboxInsert = 'insert into outbox (topic, key, message) select t, k, m::jsonb from unnest($1::text[], $2::text[], $3::text[]) as u(t, k, m)';
/** A view fact in the envelope the benchmark's observer reads (the same as xsaga's). */
const view = (orderId: string, step: number, version: number, placedAt: string) => ({
  type: 'SagaViewUpdated',
  data: { view: { orderId, status: step >= STEPS.length ? 'COMPLETED' : 'PENDING', version, placedAt, updatedAt: new Date().toISOString() } },
  metadata: { messageId: `${orderId}/${version}/view`, correlationId: orderId, causationId: orderId, occurredAt: new Date().toISOString() },
});

/**
 * Consumes through xsaga's Kafka bus adapter, so both sides read Kafka the same way (a fetch's
 * partitions in one batch, offsets committed lazily): the ratio is then about the runtime alone.
 */
const consumerBus = createKafkaMessageBus({ brokers: env.BASELINE_KAFKA_BROKERS!.split(','), clientId: 'baseline' });
async function consume(group: string, topic: string, handle: (messages: Msg[]) => Promise<void>): Promise<void> {
  await consumerBus.subscribe({ group, topics: [topic], maxBatchSize: 1000, handler: ({ messages }) => handle(messages as unknown as Msg[]) });
}

// Participants: a Redis SET NX per command, one transaction of outcome rows per batch, replies to the inbox.
await consume('baseline-participants', topics.steps, async (commands) => {
  await Promise.all(commands.map((c) => redis.set(`baseline:${schema}:${c.orderId}:${c.type}`, '1', 'PX', 86_400_000, 'NX')));
  await pool.query('insert into effects select o, op, r::jsonb from unnest($1::text[], $2::text[], $3::text[]) as u(o, op, r) on conflict do nothing', [
    commands.map((c) => c.orderId),
    commands.map((c) => c.type),
    commands.map((c) => JSON.stringify({ type: REPLIES[STEPS.indexOf(c.type)] })),
  ]);
  await producer.sendBatch({
    acks: -1,
    topicMessages: [{ topic: topics.inbox, messages: commands.map((c) => ({ key: c.orderId, value: JSON.stringify({ id: `reply/${c.id}`, type: REPLIES[STEPS.indexOf(c.type)], orderId: c.orderId, data: {} }) })) }],
  });
});

// The saga worker: dedupe, advance, append, next command and view in the outbox, all in one transaction per batch.
await consume('baseline-worker', topics.inbox, async (replies) => {
  await transaction(async (tx) => {
    const seen = new Set((await tx.query('select message_id from applied where message_id = any($1::text[])', [replies.map((r) => r.id)])).rows.map((r) => r.message_id));
    const fresh = replies.filter((r) => !seen.has(r.id));
    if (fresh.length === 0) return;
    const moved = (
      await tx.query<{ id: string; step: number; version: number; placed_at: Date }>(
        'update sagas s set step = s.step + 1, version = s.version + 1 from unnest($1::text[]) as u(id) where s.id = u.id returning s.id, s.step, s.version, s.placed_at',
        [fresh.map((r) => r.orderId)],
      )
    ).rows;
    const replyOf = new Map(fresh.map((r) => [r.orderId, r]));
    await tx.query('insert into events select i, v, t, d::jsonb from unnest($1::text[], $2::int[], $3::text[], $4::text[]) as u(i, v, t, d)', [
      moved.map((m) => m.id),
      moved.map((m) => m.version),
      moved.map((m) => replyOf.get(m.id)!.type),
      moved.map((m) => JSON.stringify(replyOf.get(m.id)!.data)),
    ]);
    await tx.query('insert into applied select * from unnest($1::text[])', [fresh.map((r) => r.id)]);
    const out = moved.flatMap((m) => [
      ...(m.step < STEPS.length ? [{ topic: topics.steps, key: m.id, message: { id: `${m.id}/${m.version}`, type: STEPS[m.step], orderId: m.id, data: {} } }] : []),
      { topic: topics.facts, key: m.id, message: view(m.id, m.step, m.version, m.placed_at.toISOString()) },
    ]);
    await tx.query(outboxInsert, [out.map((o) => o.topic), out.map((o) => o.key), out.map((o) => JSON.stringify(o.message))]);
  });
  wakeRelay();
});

// The projector: one bulk of externally versioned documents per batch, as xsaga's read model does.
const elasticsearch = new Elasticsearch({ node: env.BASELINE_ES_URL! });
const index = `${schema}-orders`;
await elasticsearch.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } });
await consume('baseline-projector', topics.facts, async (facts) => {
  const operations = facts.flatMap((f) => {
    const v = (f as unknown as ReturnType<typeof view>).data.view;
    return [{ index: { _index: index, _id: v.orderId, version: v.version, version_type: 'external' as const } }, v];
  });
  await elasticsearch.bulk({ operations });
});

const app = express();
app.use(express.json({ limit: '64kb' }));
app.post('/orders', async (req, res) => {
  const id = crypto.randomUUID();
  const placedAt = new Date().toISOString();
  await transaction(async (tx) => {
    await tx.query('insert into sagas values ($1, 0, 1, $2, $3)', [id, JSON.stringify(req.body), placedAt]);
    await tx.query('insert into events values ($1, 1, $2, $3)', [id, 'OrderPlaced', JSON.stringify(req.body)]);
    await tx.query(outboxInsert, [
      [topics.steps, topics.facts],
      [id, id],
      [JSON.stringify({ id: `${id}/1`, type: STEPS[0], orderId: id, data: {} }), JSON.stringify(view(id, 0, 1, placedAt))],
    ]);
  });
  wakeRelay();
  res.status(202).json({ orderId: id, version: 1, status: 'PENDING' });
});
app.get('/orders/:id', async (req, res) => {
  const row = (await pool.query('select version from sagas where id = $1', [req.params.id])).rows[0];
  res.status(row ? 200 : 404).json(row ?? {});
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`baseline ready http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
});
void relay();
process.once('SIGTERM', async () => {
  server.close();
  await pool.query(`drop schema ${schema} cascade`).catch(() => undefined);
  await elasticsearch.indices.delete({ index }).catch(() => undefined);
  process.exit(0);
});
