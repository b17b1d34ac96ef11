import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../../runtime/logger.ts';

type Commit = EachBatchPayload['commitOffsetsIfNecessary'];
type Position = Readonly<{ topic: string; partition: number; offset: string }>;

export type OffsetCommitter = Readonly<{
  /** Records the next offset to read after a handled batch; commits now if the interval has passed, else soon. */
  handled(position: Position, commit: Commit): void;
  /** Commits every recorded offset now; resolves when Kafka has them. */
  flush(): Promise<void>;
  /** Drops what is recorded for partitions this member lost: their new owner commits them now. */
  forget(partitions: readonly { topic: string; partition: number }[]): void;
  stop(): void;
}>;

/**
 * Commits the offsets of handled batches at most every `intervalMs` (0: after every batch), in one
 * request for all partitions. An offset commit is a replicated write to `__consumer_offsets`; one
 * per batch was most of the broker's work. Lazy commits only widen what a crash redelivers, and
 * every consumer of this runtime drops what it already applied.
 */
export function createOffsetCommitter(intervalMs: number, logger: Logger): OffsetCommitter {
  let pending = new Map<string, Position>();
  let commit: Commit | undefined;
  let lastCommit = 0;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const next = chain.then(async () => {
      if (pending.size === 0 || !commit) return;
      const positions = pending;
      pending = new Map();
      lastCommit = Date.now();
      const topics = new Map<string, { partition: number; offset: string }[]>();
      for (const { topic, partition, offset } of positions.values()) topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
      try {
        await commit({ topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
      } catch (error) {
        // Kept for the next commit, unless a later batch of the partition has moved past them meanwhile.
        for (const [key, position] of positions) if (!pending.has(key)) pending.set(key, position);
        throw error;
      }
    });
    chain = next.catch(() => undefined);
    return next;
  }

  const flushInBackground = () =>
    void flush().catch((error: unknown) => logger.warn({ err: error }, 'kafka bus: offset commit failed, retried with the next one'));

  return {
    handled(position, commitWith) {
      // Every batch's commit goes through the same consumer group: the latest one will do for all.
      commit = commitWith;
      pending.set(`${position.topic}|${position.partition}`, position);
      const wait = lastCommit + intervalMs - Date.now();
      if (wait <= 0) flushInBackground();
      else timer ??= setTimeout(flushInBackground, wait);
    },
    flush,
    forget(partitions) {
      for (const { topic, partition } of partitions) pending.delete(`${topic}|${partition}`);
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
