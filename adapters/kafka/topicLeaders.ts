import type { Admin } from 'kafkajs';

/** Errors a broker answers for a topic it has created but not yet spread to its metadata cache. */
const NOT_YET_KNOWN = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

const notYetKnown = (error: unknown) => NOT_YET_KNOWN.has((error as { type?: string }).type ?? '');

/**
 * Resolves once every partition of `topics` has a leader. kafkajs's own `waitForLeaders` gives up on
 * the first "does not host this topic-partition", which a KRaft broker answers for a moment after
 * it created the topic; that answer is waited out here, up to `timeoutMs`.
 */
export async function waitForTopicLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastReason: string;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const leaderless = metadata.filter(({ partitions }) => partitions.length === 0 || partitions.some((p) => p.leader < 0 || p.partitionErrorCode !== 0));
      if (leaderless.length === 0) return;
      lastReason = `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`;
    } catch (error) {
      if (!notYetKnown(error)) throw error;
      lastReason = (error as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`Kafka topics ${topics.join(', ')} had no leaders ${timeoutMs} ms after their creation (${lastReason})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
