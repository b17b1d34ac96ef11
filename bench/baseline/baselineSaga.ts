/**
 * The raw baseline: the order saga written by hand with plain `pg`, `ioredis`, the Elasticsearch
 * client and `express`, with no XState, no actors and no runtime, doing the I/O xsaga does per
 * saga (bench/IO.md): the same tables (created by xsaga's migrations), rows, Kafka messages,
 * Redis operations and order documents (xsaga's mapping), on the failure paths of the order mix
 * too. It reads and writes Kafka through xsaga's bus adapter, the one piece shared, so that both
 * sides use Kafka the same way. Every role runs in this one process; it prints
 * `baseline ready <url>` when it listens.
 */
import { randomUUID } from 'node:crypto';
import { Client as Elasticsearch } from '@elastic/elasticsearch';
import express from 'express';
import { Redis } from 'ioredis';
import pg from 'pg';
import { documentOf, viewIndexMappings, viewIndexSettings } from '../../adapters/elasticsearch/viewIndex.ts';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { createPgClient } from '../../adapters/postgres/pgClient.ts';
import { migrateSagaStore } from '../../adapters/sql/schema.ts';
import type { OrderItem, SagaSettings } from '../../machines/orderTypes.ts';
import { allTopics, topicsFor } from '../../orders/topics.ts';
import { migrateParticipants } from '../../participants/schema.ts';
import type { Envelope, Message } from '../../runtime/message.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { orderViewSpec } from '../../orders/orderViewSpec.ts';
import { answerCommands, PARTICIPANTS } from './baselineParticipants.ts';
import { appliedAmong, commitChanges, fireDueTimers, markPublished, type OrderChange } from './baselineStore.ts';
import { changeOf } from './orderChanges.ts';
import { advance, placeOrder, type OrderRecord, type Step } from './orderFlow.ts';
import { BENCH_RETRY_SCHEDULE } from '../benchRetrySchedule.ts';

const env = process.env;
const schema = env.BASELINE_SCHEMA!;
const topics = topicsFor(env.BASELINE_TOPIC_PREFIX!);
const brokers = env.BASELINE_KAFKA_BROKERS!.split(',');
const settings: SagaSettings = { paymentTimeoutMs: Number(env.BASELINE_PAYMENT_TIMEOUT_MS ?? 30_000), maxAttempts: 5, retryBaseMs: BENCH_RETRY_SCHEDULE.initialMs, retryMaxMs: BENCH_RETRY_SCHEDULE.maxMs, parkAfterAttempts: 50 };

// xsaga's own migrations: the same tables, keys and indexes, so a row costs what it costs xsaga.
const migrations = await createPgClient({ connectionString: env.BASELINE_PG_URL!, schema });
await migrateSagaStore(migrations);
await migrateParticipants(migrations);
await migrations.close();

const db = new pg.Pool({ connectionString: env.BASELINE_PG_URL, max: 10, options: `-c search_path=${schema}` });
const redis = new Redis(env.BASELINE_REDIS_URL!, { enableAutoPipelining: true });
const bus = createKafkaMessageBus({ brokers, clientId: 'baseline', partitions: 8, offsetCommitIntervalMs: 1000 });
await bus.ensureTopics(allTopics(topics));
const elasticsearch = new Elasticsearch({ node: env.BASELINE_ES_URL! });
const index = `${schema}-orders`;
await elasticsearch.indices.create({ index, mappings: viewIndexMappings(orderViewSpec), settings: viewIndexSettings });

/** Every order of this run in memory (a run is bounded), as xsaga caches its live sagas; a late message to a finished one is applied and moves nothing. */
const records = new Map<string, OrderRecord>();
/** When each armed timer is due, to wake the timer loop in time without asking the database. */
const timersDue = new Map<string, number>();

/**
 * Publishes committed outbox rows in commit order, then marks them published, as xsaga's writer
 * does: the rows committed while one send is in flight go together in the next, and the marks of
 * 100 ms go together in one statement.
 */
let unpublished: { ids: string[]; envelopes: Envelope[] } = { ids: [], envelopes: [] };
let publishing = false;
function publish(ids: readonly string[], envelopes: readonly Envelope[]): void {
  if (envelopes.length === 0) return;
  unpublished.ids.push(...ids);
  unpublished.envelopes.push(...envelopes);
  if (publishing) return;
  publishing = true;
  void (async () => {
    while (unpublished.envelopes.length > 0) {
      const batch = unpublished;
      unpublished = { ids: [], envelopes: [] };
      await bus.publish(batch.envelopes);
      markSoon(batch.ids);
    }
    publishing = false;
  })().catch((error: unknown) => {
    console.error('baseline: publishing failed', error);
    process.exit(1);
  });
}

const MARK_DELAY_MS = 100;
let unmarked: string[] = [];
let markTimer: NodeJS.Timeout | undefined;
function markSoon(ids: readonly string[]): void {
  unmarked.push(...ids);
  markTimer ??= setTimeout(() => {
    const marking = unmarked;
    unmarked = [];
    markTimer = undefined;
    markPublished(db, marking).catch((error: unknown) => {
      console.error('baseline: marking failed', error);
      process.exit(1);
    });
  }, MARK_DELAY_MS);
}
/** Commits the changes, then remembers what they did and publishes their outbox rows. */
async function commit(changes: readonly OrderChange[], after: readonly OrderRecord[]): Promise<void> {
  const ids = await commitChanges(db, changes);
  for (const record of after) records.set(record.order.orderId, record);
  for (const change of changes) {
    for (const id of change.cancelled) timersDue.delete(`${change.streamId}\u0000${id}`);
    for (const timer of change.armed) timersDue.set(`${change.streamId}\u0000${timer.timerId}`, Date.parse(timer.dueAt));
  }
  publish(ids, changes.flatMap((c) => c.outbox));
  const earliest = Math.min(...changes.flatMap((c) => c.armed.map((t) => Date.parse(t.dueAt))));
  if (earliest < timerWakeAt) wakeTimers();
}

// Placing orders: the orders arriving while a commit runs go together in the next one (a group commit, as xsaga's API does).
let placing: { change: OrderChange; record: OrderRecord; done: (error?: unknown) => void }[] = [];
let placingNow = false;
async function placeQueued(): Promise<void> {
  if (placingNow) return;
  placingNow = true;
  while (placing.length > 0) {
    const batch = placing;
    placing = [];
    try {
      await commit(batch.map((p) => p.change), batch.map((p) => p.record));
      for (const p of batch) p.done();
    } catch (error) {
      for (const p of batch) p.done(error);
    }
  }
  placingNow = false;
}

const UNIQUE_VIOLATION = '23505';

// The saga worker: one commit per batch of replies and fired timers, for every order in it.
await bus.subscribe({
  group: `${topics.prefix}.saga-worker`,
  topics: [topics.sagaInbox],
  maxBatchSize: 1000,
  handler: async ({ messages }) => {
    const unique = [...new Map(messages.map((m) => [m.metadata.messageId, m])).values()];
    // As xsaga's worker: the applied ids are read only after a commit refused a message applied before.
    try {
      await applyInbox(unique, new Set());
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      await applyInbox(unique, await appliedAmong(db, unique.map((m) => m.metadata.messageId)));
    }
  },
});

/** One commit for the inbox messages of a batch that are not among `seen`. */
async function applyInbox(unique: readonly Message[], seen: ReadonlySet<string>): Promise<void> {
  const byOrder = new Map<string, Message[]>();
  for (const message of unique) if (!seen.has(message.metadata.messageId)) byOrder.set(message.metadata.correlationId, [...(byOrder.get(message.metadata.correlationId) ?? []), message]);
  const changes: OrderChange[] = [];
  const after: OrderRecord[] = [];
  for (const [orderId, list] of byOrder) {
    const before = records.get(orderId);
    if (!before) continue;
    let record = before;
    const events: Message[] = [];
    const steps: { cause: Message; step: Step }[] = [];
    for (const message of list) {
      const step = advance(record, message.type, message.data);
      if (!step) continue;
      record = step.record;
      events.push(message);
      steps.push({ cause: message, step });
    }
    changes.push(changeOf(topics, before, record, events, list.map((m) => m.metadata.messageId), steps));
    after.push(record);
  }
  if (changes.length > 0) await commit(changes, after);
}

// Fired timers: deleted and written as inbox messages in one statement, woken by the earliest due time known.
let timerWake = () => undefined as void;
/** When the timer loop looks next: a timer armed to be due before then wakes it. */
let timerWakeAt = 0;
function wakeTimers(): void {
  timerWake();
}
async function timerLoop(): Promise<void> {
  for (;;) {
    const fired = await fireDueTimers(db, topics.sagaInbox, new Date().toISOString(), 1000);
    for (const envelope of fired.envelopes) timersDue.delete(`${envelope.key}\u0000${(envelope.message.data as { timerId: string }).timerId}`);
    publish(fired.ids, fired.envelopes);
    if (fired.ids.length === 1000) continue;
    const next = Math.min(...timersDue.values());
    const waitMs = Math.max(5, Math.min(500, next - Date.now()));
    timerWakeAt = Date.now() + waitMs;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      timerWake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

// Participants: each its own consumer group on its command topic, replying on the saga inbox.
const keyPrefix = `baseline:${schema}:`;
for (const name of Object.keys(PARTICIPANTS) as (keyof typeof PARTICIPANTS)[]) {
  await bus.subscribe({
    group: `${topics.prefix}.participant.${name}`,
    topics: [topics[`${name}Commands`]],
    maxBatchSize: 500,
    handler: async ({ messages }) => {
      const answered = await answerCommands(name, { db, redis, keyPrefix }, messages);
      const now = new Date().toISOString();
      await bus.publish(
        answered.map(({ command, reply }) => ({
          topic: topics.sagaInbox,
          key: command.metadata.correlationId,
          message: { type: reply.type, data: reply.data, metadata: { messageId: `reply/${command.metadata.messageId}`, correlationId: command.metadata.correlationId, causationId: command.metadata.messageId, occurredAt: now } },
        })),
      );
    },
  });
}

// The projector: the latest view of each order in a batch, one bulk of externally versioned documents.
await bus.subscribe({
  group: `${topics.prefix}.projector`,
  topics: [topics.orderEvents],
  maxBatchSize: 2000,
  handler: async ({ messages }) => {
    const latest = new Map<string, OrderView>();
    for (const message of messages) {
      const { view } = message.data as { view: OrderView };
      if ((latest.get(view.orderId)?.version ?? 0) < view.version) latest.set(view.orderId, view);
    }
    if (latest.size === 0) return;
    const response = await elasticsearch.bulk({
      operations: [...latest.values()].flatMap((view) => [{ index: { _index: index, _id: view.orderId, version: view.version, version_type: 'external' as const } }, documentOf(orderViewSpec, view)]),
    });
    // 409: the index already holds this version or a newer one.
    const failed = response.items.filter((item) => item.index?.error && item.index.status !== 409);
    if (failed.length > 0) throw new Error(`Elasticsearch refused ${failed.length} documents: ${JSON.stringify(failed[0])}`);
  },
});

const app = express();
app.use(express.json({ limit: '64kb' }));
app.post('/orders', async (req, res) => {
  const request = req.body as { customerId: string; currency: string; items: OrderItem[]; paymentToken: string; shippingAddress: OrderRecord['order']['shippingAddress'] };
  const orderId = randomUUID();
  const placedAt = new Date().toISOString();
  const order = { orderId, ...request, total: request.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0), placedAt };
  const placed: Message = { type: 'OrderPlaced', data: { order, settings }, metadata: { messageId: `${orderId}/placed`, correlationId: orderId, causationId: `${orderId}/placed`, occurredAt: placedAt } };
  const step = placeOrder(order, settings);
  const change = changeOf(topics, undefined, step.record, [placed], [placed.metadata.messageId], [{ cause: placed, step }]);
  try {
    await new Promise<void>((resolve, reject) => {
      placing.push({ change, record: step.record, done: (error) => (error ? reject(error) : resolve()) });
      void placeQueued();
    });
    res.status(202).json({ orderId, version: 1, status: 'PENDING' });
  } catch (error) {
    res.status(500).json({ error: String(error) });
  }
});
// A client that reads its own write waits, bounded, for the read model to reach the version it names.
app.get('/orders/:id', async (req, res) => {
  const minVersion = Number(req.query.minVersion ?? 0);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = await elasticsearch.get<OrderView>({ index, id: req.params.id }, { ignore: [404] });
    if (found.found && (found._source?.version ?? 0) >= minVersion) return void res.status(200).json(found._source);
    if (Date.now() > deadline) return void res.status(503).json({});
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`baseline ready http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
});
void timerLoop();
// The scenario drops the schema, topics and index once it has counted what this run wrote.
process.once('SIGTERM', async () => {
  server.close();
  await bus.close().catch(() => undefined);
  await db.end().catch(() => undefined);
  redis.disconnect();
  process.exit(0);
});
