import { Partitioners } from 'kafkajs';

const javaCompatiblePartitioner = Partitioners.DefaultPartitioner();

/**
 * The partition xsaga's producer puts a key on in a topic of `partitions` partitions: the
 * Java-compatible murmur2 partitioner the Kafka bus uses, so a test can tell which saga's messages
 * a partition carries.
 */
export function partitionOfKey(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return javaCompatiblePartitioner({ topic: 'any', partitionMetadata, message: { key, value: null } });
}

/** What one process last said it holds of `topic` in `group`, from the Kafka bus's log line at each group join. */
export type HeldPartitions = Readonly<{ memberId: string; partitions: readonly number[] }>;

export function lastHeldPartitions(output: string, group: string, topic: string): HeldPartitions | undefined {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const line = new RegExp(`kafka bus: ${escape(group)} member (\\S+) holds (.*)$`, 'gm');
  const topicPartitions = new RegExp(`(?:^| )${escape(topic)}\\[([\\d,]*)\\]`);
  let last: HeldPartitions | undefined;
  for (const [, memberId, held] of output.matchAll(line)) {
    const listed = held!.match(topicPartitions)?.[1] ?? '';
    last = { memberId: memberId!, partitions: listed === '' ? [] : listed.split(',').map(Number) };
  }
  return last;
}
