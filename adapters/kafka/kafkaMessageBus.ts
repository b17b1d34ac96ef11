import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import { silentLogger, type Logger } from '../../runtime/logger.ts';
import type { Envelope, Message } from '../../runtime/message.ts';
import type { MessageBus, PartitionBatch, SubscribeOptions, Subscription } from '../../runtime/messageBus.ts';
import { coalesceCalls } from './coalesceCalls.ts';
import { KAFKA_GROUP_MEMBERSHIP } from './groupMembership.ts';
import { wellFormedTraceContext } from '../../runtime/traceContext.ts';
import { decodeRecord } from './recordDecoding.ts';
import { createOffsetCommitter } from './offsetCommitter.ts';
import { applyKafkajsIdleLoopFix } from './kafkajsIdleLoopFix.ts';
import { kafkajsLogCreator } from './kafkajsLogCreator.ts';
import { hasLostProducerState } from './lostProducerState.ts';
import { waitForTopicLeaders } from './topicLeaders.ts';

export type KafkaMessageBusOptions = Readonly<{
  brokers: string[];
  clientId?: string;
  /** Partitions of the topics `ensureTopics` creates. */
  partitions?: number;
  replicationFactor?: number;
  /** Receives kafkajs's warnings and errors (rebalances as info), handler failures, and the partitions each group join assigns. */
  logger?: Logger;
  /** Partitions whose batches may be handled at the same time by one subscription. */
  partitionsConsumedConcurrently?: number;
  /**
   * A fetch waits up to `fetchMaxWaitMs` for `fetchMinBytes` to gather: fewer, larger batches per
   * fetch, each handled in one transaction, at the price of at most that wait per hop.
   */
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  /** Pause before a failed batch is delivered again. */
  retryDelayMs?: number;
  /** Handled offsets are committed at most this often (0: after every batch), and always at stop and rebalance. */
  offsetCommitIntervalMs?: number;
  /**
   * Group membership (docs/decisions/0013): a member silent for `sessionTimeoutMs` is evicted and its
   * partitions reassigned; a rebalance waits at most `rebalanceTimeoutMs` for members to rejoin. kafkajs
   * heartbeats only between fetches and batch chunks, so one chunk must be handled within the session timeout.
   */
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}>;


type TopicPartition = { topic: string; partition: number };
type ProducerBatch = Parameters<Producer['sendBatch']>[0];

const key = ({ topic, partition }: TopicPartition) => `${topic}|${partition}`;

/** Bytes that end a batch window early: a thousand messages of a kilobyte, under kafkajs's 1 MiB a partition per fetch. */
const BATCH_WINDOW_MIN_BYTES = 1024 * 1024;

/**
 * The production MessageBus: Kafka through kafkajs, with at-least-once delivery per consumer group.
 *
 * @example
 * const bus = createKafkaMessageBus({ brokers: ['127.0.0.1:9092'], logger });
 * await bus.ensureTopics(['saga.inbox']);
 */
export function createKafkaMessageBus(options: KafkaMessageBusOptions): MessageBus {
  applyKafkajsIdleLoopFix();
  const logger = options.logger ?? silentLogger;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const kafka = new Kafka({
    clientId: options.clientId ?? 'xsaga',
    brokers: options.brokers,
    // kafkajs's INFO is a line per pause and resume of a partition; KAFKAJS_LOG_LEVEL=INFO|DEBUG shows more.
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(logger),
  });
  const subscriptions = new Set<Subscription>();
  let producer: Promise<Producer> | undefined;
  // One send at a time: a failed send must discard its producer before the next one takes sequence numbers from
  // it. kafkajs serialises the sends to one broker anyway (its idempotent producer locks each broker).
  let sendings: Promise<unknown> = Promise.resolve();
  let admin: Promise<Admin> | undefined;
  let closed = false;

  /** Connects on first use; a failed connect is forgotten so that the next call tries again. */
  function connected<T extends { connect(): Promise<void> }>(client: T, forget: () => void): Promise<T> {
    return client.connect().then(
      () => client,
      (error: unknown) => {
        forget();
        throw error;
      },
    );
  }

  function getProducer(): Promise<Producer> {
    // The Java-compatible partitioner puts a key where Java clients (and Kafka Streams) would, and one in-flight
    // request means a retried send cannot overtake the next one: a key's messages keep their order.
    producer ??= connected(
      kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
      () => (producer = undefined),
    );
    return producer;
  }

  /** Forgets a producer; the next send connects a fresh one, with a new producer id and sequence numbers from 0. */
  function discardProducer(stale: Promise<Producer>): void {
    if (producer === stale) producer = undefined;
    stale.then((client) => client.disconnect()).catch(() => undefined);
  }

  /**
   * A producer whose send failed is not used again. kafkajs 2.2.4 takes back the sequence numbers of a whole
   * failed request, even for partitions the broker appended (one partition refused, or the answer cut off by a
   * broker restart): the next send then repeats those numbers, and the broker either refuses every send from
   * then on (out of order) or, if the counts match, acknowledges it as a duplicate without appending it.
   */
  async function sendOnce(batch: ProducerBatch): Promise<void> {
    const used = getProducer();
    try {
      await (await used).sendBatch(batch);
    } catch (error) {
      discardProducer(used);
      throw error;
    }
  }

  async function sendRecovering(batch: ProducerBatch): Promise<void> {
    try {
      await sendOnce(batch);
    } catch (error) {
      if (!hasLostProducerState(error)) throw error;
      logger.warn({ err: error }, "kafka bus: the broker lost this producer's state; sending again with a new producer");
      // Resent once, whole: partitions the broker had appended then hold those records twice, which every consumer
      // drops by message id (the worker's applied ids, participants' keys, the projector's versions).
      await sendOnce(batch);
    }
  }

  function getAdmin(): Promise<Admin> {
    admin ??= connected(kafka.admin(), () => (admin = undefined));
    return admin;
  }

  function decode(record: KafkaMessage, topic: string, partition: number): Message {
    const { message, problem } = decodeRecord(record, topic, partition);
    if (problem) logger.warn({ topic, partition, offset: record.offset, problem }, `kafka bus: ${topic}[${partition}]@${record.offset} holds no message; handed over for dead-lettering`);
    return message;
  }

  async function subscribe(subscription: SubscribeOptions): Promise<Subscription> {
    if (closed) throw new Error('bus is closed');
    const { group, handler, onRevoked } = subscription;
    const maxBatchSize = Math.max(1, subscription.maxBatchSize ?? 1000);
    const window = subscription.batchWindowMs ?? 0;
    const consumer: Consumer = kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      // Like Java's fetch.max.wait.ms: an idle long poll must not hold up stop() and rebalances for 5 s.
      // A batch window is a fetch that the broker holds for its length, unless a whole batch's bytes gather first.
      maxWaitTimeInMs: window > 0 ? window : (options.fetchMaxWaitMs ?? 500),
      minBytes: window > 0 ? BATCH_WINDOW_MIN_BYTES : (options.fetchMinBytes ?? 1),
      sessionTimeout: options.sessionTimeoutMs ?? KAFKA_GROUP_MEMBERSHIP.sessionTimeoutMs,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? KAFKA_GROUP_MEMBERSHIP.rebalanceTimeoutMs,
      // A member learns of a rebalance only from a heartbeat, and the whole group waits for the slowest to rejoin.
      heartbeatInterval: options.heartbeatIntervalMs ?? KAFKA_GROUP_MEMBERSHIP.heartbeatIntervalMs,
    });
    const retryTimers = new Set<NodeJS.Timeout>();
    const inFlight = new Set<Promise<void>>();
    let assigned: TopicPartition[] = [];
    let stopping = false;

    const committer = createOffsetCommitter(options.offsetCommitIntervalMs ?? 1000, logger);
    const revoke = (lost: TopicPartition[]) => {
      committer.forget(lost);
      if (lost.length > 0 && onRevoked) onRevoked(lost);
    };
    // kafkajs rebalances eagerly: once a rebalance starts, this member holds nothing until it rejoins.
    consumer.on(consumer.events.REBALANCING, () => {
      revoke(assigned);
      assigned = [];
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts a consumer after a retriable failure (a broker away): a fault ridden out. One it does not restart handles nothing more.
      if (payload.restart) logger.warn({ group, restart: true, err: payload.error }, `kafka bus: consumer ${group} crashed; kafkajs starts it again`);
      else logger.error({ group, restart: false, err: payload.error }, `kafka bus: consumer ${group} crashed and stays stopped`);
      revoke(assigned);
      assigned = [];
    });
    // Some rejoins (stale metadata, unknown member) emit no REBALANCING: diff the assignments as well.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const now = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
      const kept = new Set(now.map(key));
      revoke(assigned.filter((tp) => !kept.has(key(tp))));
      assigned = now;
      // Which process holds which partitions is otherwise invisible: every member of a group has the same client id.
      const holds = Object.fromEntries(Object.entries(payload.memberAssignment).map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]));
      const held = Object.entries(holds).map(([topic, partitions]) => `${topic}[${partitions.join(',')}]`);
      logger.info({ group, memberId: payload.memberId, holds }, `kafka bus: ${group} member ${payload.memberId} holds ${held.join(' ') || 'nothing'}`);
    });

    // The partition batches of one fetch reach the handler as one batch.
    const handleMerged = coalesceCalls<PartitionBatch>(
      (batches) =>
        handler(batches.length === 1 ? batches[0]! : { topic: batches[0]!.topic, partition: -1, messages: batches.flatMap((b) => b.messages) }),
      { keyOf: (batch) => batch.topic, sizeOf: (batch) => batch.messages.length, maxSize: maxBatchSize },
    );
    async function handleBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, pause, isRunning, isStale }: EachBatchPayload): Promise<void> {
      const { topic, partition } = batch;
      for (let start = 0; start < batch.messages.length; start += maxBatchSize) {
        if (stopping || !isRunning() || isStale()) return;
        const records = batch.messages.slice(start, start + maxBatchSize);
        const messages = records.map((record) => decode(record, topic, partition));
        const last = records.at(-1)!;
        const isLastChunk = start + maxBatchSize >= batch.messages.length;
        try {
          if (messages.length > 0) await handleMerged({ topic, partition, messages });
        } catch (error) {
          logger.warn({ group, topic, partition, offset: records[0]!.offset, err: error }, `kafka bus: ${group} failed on ${topic}[${partition}]@${records[0]!.offset}, redelivering`);
          // Leaving the offset unresolved makes the next fetch start at the failed chunk; pausing (rather than
          // sleeping here) keeps the other partitions of this fetch flowing during the delay.
          const resume = pause();
          const timer = setTimeout(() => {
            retryTimers.delete(timer);
            resume();
          }, retryDelayMs);
          retryTimers.add(timer);
          return;
        }
        // Past the last record, kafkajs's batch may end with transaction markers that nobody needs to see again.
        const next = BigInt(isLastChunk ? batch.lastOffset() : last.offset) + 1n;
        resolveOffset(last.offset);
        // Not consumer.commitOffsets: once stop() has begun it silently skips the commit, and a batch handled
        // during a graceful stop would then be handled again by the next owner.
        committer.handled({ topic, partition, offset: next.toString() }, commitOffsetsIfNecessary);
        try {
          await heartbeat();
        } catch (error) {
          // A rebalance: hand over with what was handled committed, so the next owner starts after it.
          await committer.flush().catch(() => undefined);
          throw error;
        }
      }
    }

    const eachBatch = (payload: EachBatchPayload): Promise<void> => {
      const handling = handleBatch(payload);
      inFlight.add(handling);
      return handling.finally(() => inFlight.delete(handling));
    };

    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...subscription.topics], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // As many as a topic has partitions, so that a whole fetch is handed over, and merged, at once.
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? options.partitions ?? 8,
        eachBatch,
      });
    } catch (error) {
      await consumer.disconnect();
      throw error;
    }

    let stopped: Promise<void> | undefined;
    const handle: Subscription = {
      stop() {
        stopped ??= (async () => {
          stopping = true;
          for (const timer of retryTimers) clearTimeout(timer);
          retryTimers.clear();
          // Leaving the group hands the partitions over, so the revocation must come after the last handler
          // and before the leave; kafkajs's disconnect has no hook in between.
          while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
          committer.stop();
          await committer.flush().catch((error: unknown) => logger.warn({ group, err: error }, `kafka bus: ${group} could not commit its last offsets`));
          revoke(assigned);
          assigned = [];
          await consumer.disconnect();
          subscriptions.delete(handle);
        })();
        return stopped;
      },
    };
    subscriptions.add(handle);
    return handle;
  }

  return {
    async ensureTopics(topics) {
      const client = await getAdmin();
      const existing = new Set(await client.listTopics());
      const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      // Another process may create the same topic meanwhile: kafkajs then resolves false, which is fine.
      await client.createTopics({
        waitForLeaders: false,
        topics: missing.map((topic) => ({ topic, numPartitions: options.partitions ?? 8, replicationFactor: options.replicationFactor ?? 1 })),
      });
      await waitForTopicLeaders(client, missing);
    },

    async publish(envelopes: readonly Envelope[]) {
      if (closed) throw new Error('bus is closed');
      if (envelopes.length === 0) return;
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
      for (const { topic, key: messageKey, message } of envelopes) {
        const { messageId, correlationId, causationId, traceparent, tracestate } = message.metadata;
        let records = byTopic.get(topic);
        if (!records) byTopic.set(topic, (records = []));
        // The trace context in the W3C header names too, for tools that read Kafka headers (the message keeps its own copy).
        const headers = { messageId, correlationId, causationId, type: message.type, ...wellFormedTraceContext({ traceparent, tracestate }) };
        records.push({ key: messageKey, value: JSON.stringify(message), headers });
      }
      const batch: ProducerBatch = { acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) };
      const sent = sendings.then(() => sendRecovering(batch));
      sendings = sent.catch(() => undefined);
      await sent;
    },

    subscribe,

    async consumerLag(consumers) {
      const client = await getAdmin();
      const topics = [...new Set(consumers.map((c) => c.topic))];
      const ends = new Map(await Promise.all(topics.map(async (topic) => [topic, await client.fetchTopicOffsets(topic)] as const)));
      const groups = new Map<string, string[]>();
      for (const { group, topic } of consumers) groups.set(group, [...(groups.get(group) ?? []), topic]);
      const committed = await Promise.all([...groups].map(async ([groupId, groupTopics]) => ({ group: groupId, offsets: await client.fetchOffsets({ groupId, topics: groupTopics }) })));
      return committed.flatMap(({ group, offsets }) =>
        offsets.flatMap(({ topic, partitions }) =>
          partitions.flatMap(({ partition, offset }) => {
            const end = ends.get(topic)?.find((entry) => entry.partition === partition);
            if (!end) return [];
            // -1: the group committed nothing there yet, and reads from the oldest record kept (it subscribes from the beginning).
            const from = BigInt(offset) >= 0n ? BigInt(offset) : BigInt(end.low);
            return [{ group, topic, partition, lag: Number(BigInt(end.high) - from) }];
          }),
        ),
      );
    },

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      const clients = await Promise.allSettled([producer, admin].filter((client) => client !== undefined));
      await Promise.all(clients.map((client) => (client.status === 'fulfilled' ? client.value.disconnect() : undefined)));
    },
  };
}
