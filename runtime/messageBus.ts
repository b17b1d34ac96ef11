import type { Envelope, Message } from './message.ts';

/**
 * Messages handed to a consumer together, in log order per partition. `partition` is -1 when the
 * bus merged the pending messages of several partitions of the topic into one batch.
 */
export type PartitionBatch = Readonly<{ topic: string; partition: number; messages: readonly Message[] }>;

export type SubscribeOptions = Readonly<{
  /** Consumers with the same group share the partitions; each group sees every message. */
  group: string;
  topics: readonly string[];
  /**
   * Called with one batch at a time per partition (a batch may span several partitions). The offsets
   * are committed only after it resolves; if it throws, the batch is delivered again (at-least-once).
   */
  handler: (batch: PartitionBatch) => Promise<void>;
  /** Called with the partitions this member lost, before another member gets them. */
  onRevoked?: (revoked: readonly { topic: string; partition: number }[]) => void;
  maxBatchSize?: number;
  /**
   * How long a batch may wait for more messages to join it: fewer, fuller batches at low load, at
   * the price of up to that much latency per message; a batch already full enough goes at once.
   * Unset or 0, a batch is handed over as soon as there is a message.
   */
  batchWindowMs?: number;
}>;

export type Subscription = Readonly<{ stop(): Promise<void> }>;

/** How far a consumer group is behind on one partition: the messages in it past the group's committed offset. */
export type ConsumerLag = Readonly<{ group: string; topic: string; partition: number; lag: number }>;

/** The message bus port: a partitioned log keyed by saga id (Kafka in production). */
export interface MessageBus {
  /** Creates the topics if missing, with the given number of partitions. */
  ensureTopics(topics: readonly string[]): Promise<void>;
  /** Resolves once every message is durably accepted; messages with one key keep their order. */
  publish(envelopes: readonly Envelope[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * The lag of each group on every partition of its topic, whether a member of it runs or not (a
   * group that never committed lags by everything the partition holds). Absent where a bus cannot tell.
   */
  consumerLag?(consumers: readonly Readonly<{ group: string; topic: string }>[]): Promise<readonly ConsumerLag[]>;
  close(): Promise<void>;
}

/**
 * The type of the message a bus hands over in place of a record it could not decode (not JSON,
 * not a message): its consumer dead-letters it, where the bus would otherwise skip it or loop on it.
 */
export const UNDECODABLE = 'xsaga.Undecodable';

/** The record as it was: raw key and value in base64, headers as text, and why decoding failed. */
export type UndecodableData = Readonly<{
  topic: string;
  partition: number;
  offset: string;
  error: string;
  key: string | null;
  value: string | null;
  headers: Readonly<Record<string, string>>;
}>;

/** A stable, well-spread hash of a key onto a partition. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) % partitions;
}
