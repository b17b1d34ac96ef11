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

type GroupJoinLine = { msg?: unknown; group?: unknown; memberId?: unknown; holds?: Record<string, number[]> };

/** Reads the process's JSON log lines (`kafka bus: <group> member <id> holds …`, with `group`, `memberId` and `holds` as fields). */
export function lastHeldPartitions(output: string, group: string, topic: string): HeldPartitions | undefined {
  let last: HeldPartitions | undefined;
  for (const text of output.split('\n')) {
    if (!text.startsWith('{') || !text.includes(' holds ')) continue;
    let line: GroupJoinLine;
    try {
      line = JSON.parse(text) as GroupJoinLine;
    } catch {
      continue;
    }
    if (line.group !== group || typeof line.memberId !== 'string' || typeof line.msg !== 'string' || !line.msg.startsWith('kafka bus: ')) continue;
    last = { memberId: line.memberId, partitions: line.holds?.[topic] ?? [] };
  }
  return last;
}
