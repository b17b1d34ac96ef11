import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import { applyKafkajsIdleLoopFix } from '../../adapters/kafka/kafkajsIdleLoopFix.ts';
import { TEST_KAFKA_BROKERS } from './kafka.ts';
import { uniqueName } from './messages.ts';

/** An offset per partition of one topic. */
export type PartitionOffsets = ReadonlyMap<number, bigint>;

/** One member of a consumer group, as the group coordinator sees it, with the partitions of one topic it holds. */
export type GroupMember = Readonly<{ memberId: string; partitions: readonly number[] }>;

/** One record of a topic, with the headers xsaga's bus writes. */
export type TopicRecord = Readonly<{ partition: number; offset: bigint; key: string; messageId: string; type: string }>;

export type KafkaInspector = Readonly<{
  /** The group's state (`Stable` once a rebalance is over) and its members' partitions of `topic`. */
  assignment(group: string, topic: string): Promise<{ state: string; members: GroupMember[] }>;
  /** The next offset the group will read per partition of `topic`; -1 where it never committed. */
  committedOffsets(group: string, topic: string): Promise<PartitionOffsets>;
  /** The offset the next record of each partition will get. */
  endOffsets(topic: string): Promise<PartitionOffsets>;
  /** Every record `topic` holds now, read by a throwaway consumer group that is deleted afterwards. */
  records(topic: string, options?: { timeoutMs?: number }): Promise<TopicRecord[]>;
  close(): Promise<void>;
}>;

/**
 * Reads what Kafka itself knows about the system under test: who holds which partition, what a
 * group has committed, what a topic holds. It tells a test what happened, not what a process said.
 */
export async function createKafkaInspector(brokers: readonly string[] = TEST_KAFKA_BROKERS): Promise<KafkaInspector> {
  applyKafkajsIdleLoopFix();
  const kafka = new Kafka({ clientId: 'xsaga-test-inspector', brokers: [...brokers], logLevel: logLevel.ERROR });
  const admin: Admin = kafka.admin();
  await admin.connect();
  const byPartition = (entries: readonly { partition: number; offset: string }[]): PartitionOffsets =>
    new Map(entries.map(({ partition, offset }) => [partition, BigInt(offset)]));

  const endOffsets = async (topic: string) => byPartition(await admin.fetchTopicOffsets(topic));

  return {
    async assignment(group, topic) {
      const [description] = (await admin.describeGroups([group])).groups;
      const members = (description?.members ?? []).map((member) => ({
        memberId: member.memberId,
        partitions: member.memberAssignment.length === 0 ? [] : [...(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[topic] ?? [])].sort((a, b) => a - b),
      }));
      return { state: description?.state ?? 'Unknown', members };
    },

    async committedOffsets(group, topic) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return byPartition(committed?.partitions ?? []);
    },

    endOffsets,

    async records(topic, options = {}) {
      const end = await endOffsets(topic);
      const unread = new Set([...end].filter(([, offset]) => offset > 0n).map(([partition]) => partition));
      const read: TopicRecord[] = [];
      if (unread.size === 0) return read;
      const groupId = uniqueName('xsaga-inspector');
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      let timer: NodeJS.Timeout | undefined;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`${topic}: partitions ${[...unread].join(', ')} not read to their end after ${options.timeoutMs ?? 60_000} ms`)), options.timeoutMs ?? 60_000);
          void consumer
            .run({
              eachMessage: async ({ partition, message }) => {
                const offset = BigInt(message.offset);
                const last = end.get(partition)! - 1n;
                if (offset > last) return;
                read.push({
                  partition,
                  offset,
                  key: message.key?.toString() ?? '',
                  messageId: message.headers?.messageId?.toString() ?? '',
                  type: message.headers?.type?.toString() ?? '',
                });
                if (offset === last) unread.delete(partition);
                if (unread.size === 0) resolve();
              },
            })
            .catch(reject);
        });
      } finally {
        clearTimeout(timer);
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
      return read.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
    },

    close: () => admin.disconnect(),
  };
}
