import { silentLogger, type Logger } from '../../runtime/logger.ts';
import type { Envelope, Message } from '../../runtime/message.ts';
import { partitionOf, type MessageBus, type SubscribeOptions, type Subscription } from '../../runtime/messageBus.ts';
import { wakeableSleep } from '../../runtime/sleep.ts';

type Partition = { base: number; messages: Message[]; waiters: Set<() => void> };
type Topic = { partitions: Partition[]; groups: Map<string, number[]> };

export type MemoryMessageBusOptions = Readonly<{
  partitions?: number;
  retryDelayMs?: number;
  /**
   * One batch per group takes what is pending in every partition, instead of one batch per
   * partition. In one process with one single-threaded database, that makes each transaction carry
   * many sagas; per-key order is kept.
   */
  mergePartitions?: boolean;
  logger?: Logger;
}>;

/**
 * An in-process partitioned log with consumer groups and committed offsets: the embedded
 * default's bus. It keeps messages in memory only; durability comes from the outbox, which is
 * replayed into it after a restart.
 */
export function createMemoryMessageBus(options: MemoryMessageBusOptions = {}): MessageBus {
  const partitionCount = options.partitions ?? 8;
  const retryDelayMs = options.retryDelayMs ?? 50;
  const mergePartitions = options.mergePartitions ?? false;
  const logger = options.logger ?? silentLogger;
  const topics = new Map<string, Topic>();
  const loops = new Set<Promise<void>>();
  let closed = false;

  function topicOf(name: string): Topic {
    let topic = topics.get(name);
    if (!topic) {
      topic = {
        partitions: Array.from({ length: partitionCount }, () => ({ base: 0, messages: [], waiters: new Set<() => void>() })),
        groups: new Map(),
      };
      topics.set(name, topic);
    }
    return topic;
  }

  /** Drops messages that every group has consumed, so memory stays bounded. */
  function trim(topic: Topic, index: number): void {
    const partition = topic.partitions[index]!;
    let lowest = partition.base + partition.messages.length;
    for (const offsets of topic.groups.values()) lowest = Math.min(lowest, offsets[index]!);
    const consumed = lowest - partition.base;
    if (consumed > 1024) {
      partition.messages.splice(0, consumed);
      partition.base = lowest;
    }
  }

  /**
   * Delivers the messages of `indices` to one group member. With several partitions, one batch takes
   * what is pending in all of them (each partition's messages stay in order, so each key's do).
   */
  async function consume(topicName: string, topic: Topic, indices: readonly number[], subscription: SubscribeOptions, isStopped: () => boolean) {
    const offsets = topic.groups.get(subscription.group)!;
    const maxBatch = subscription.maxBatchSize ?? 500;
    const window = subscription.batchWindowMs ?? 0;
    while (!isStopped()) {
      // Yield to I/O first: PGlite and the handlers resolve in microtasks, and a consumer that never
      // yields would starve the HTTP server; meanwhile more messages gather into this batch.
      await new Promise((resolve) => setImmediate(resolve));
      if (isStopped()) break;
      const messages: Message[] = [];
      const taken = new Map<number, number>();
      for (const index of indices) {
        const partition = topic.partitions[index]!;
        const start = offsets[index]! - partition.base;
        const slice = partition.messages.slice(start, start + maxBatch - messages.length);
        if (slice.length > 0) taken.set(index, slice.length);
        messages.push(...slice);
        if (messages.length >= maxBatch) break;
      }
      if (messages.length === 0) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            for (const index of indices) topic.partitions[index]!.waiters.delete(wake);
            stopWakers.delete(wake);
            resolve();
          };
          for (const index of indices) topic.partitions[index]!.waiters.add(wake);
          stopWakers.add(wake);
        });
        // The first message after a pause opens the batch window: what arrives within it joins the batch.
        if (window > 0) {
          const gathering = wakeableSleep(window);
          stopWakers.add(gathering.wake);
          await gathering.done;
          stopWakers.delete(gathering.wake);
        }
        continue;
      }
      const partition = indices.length === 1 ? indices[0]! : -1;
      try {
        await subscription.handler({ topic: topicName, partition, messages });
        for (const [index, count] of taken) {
          offsets[index] = offsets[index]! + count;
          trim(topic, index);
        }
      } catch (error) {
        logger.warn({ group: subscription.group, topic: topicName, partition, err: error }, `consumer ${subscription.group} failed on ${topicName}[${partition}], redelivering`);
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      }
    }
  }

  const stopWakers = new Set<() => void>();

  return {
    async ensureTopics(names) {
      for (const name of names) topicOf(name);
    },

    async publish(envelopes: readonly Envelope[]) {
      if (closed) throw new Error('bus is closed');
      const touched = new Set<Partition>();
      for (const { topic: name, key, message } of envelopes) {
        const partition = topicOf(name).partitions[partitionOf(key, partitionCount)]!;
        partition.messages.push(message);
        touched.add(partition);
      }
      for (const partition of touched) for (const wake of [...partition.waiters]) wake();
    },

    async subscribe(subscription): Promise<Subscription> {
      let stopped = false;
      const mine: Promise<void>[] = [];
      for (const name of subscription.topics) {
        const topic = topicOf(name);
        if (!topic.groups.has(subscription.group)) topic.groups.set(subscription.group, topic.partitions.map((p) => p.base));
        const all = Array.from({ length: partitionCount }, (_, i) => i);
        for (const indices of mergePartitions ? [all] : all.map((i) => [i])) {
          const loop = consume(name, topic, indices, subscription, () => stopped || closed);
          mine.push(loop);
          loops.add(loop);
          void loop.finally(() => loops.delete(loop));
        }
      }
      return {
        async stop() {
          stopped = true;
          for (const wake of [...stopWakers]) wake();
          await Promise.all(mine);
        },
      };
    },

    async consumerLag(consumers) {
      return consumers.flatMap(({ group, topic: name }) => {
        const topic = topics.get(name);
        if (!topic) return [];
        const offsets = topic.groups.get(group);
        // A group that never subscribed would start at the oldest message still kept.
        return topic.partitions.map((p, partition) => ({ group, topic: name, partition, lag: p.base + p.messages.length - (offsets?.[partition] ?? p.base) }));
      });
    },

    async close() {
      closed = true;
      for (const wake of [...stopWakers]) wake();
      await Promise.all([...loops]);
    },
  };
}
