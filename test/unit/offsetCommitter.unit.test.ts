import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOffsetCommitter } from '../../adapters/kafka/offsetCommitter.ts';
import { silentLogger } from '../../runtime/logger.ts';

type Committed = { topic: string; partitions: { partition: number; offset: string }[] }[];

/** A stand-in for kafkajs's commitOffsetsIfNecessary that records each request. */
function recordingCommit() {
  const requests: Committed[] = [];
  const commit = async (offsets?: { topics: Committed }) => void requests.push(offsets!.topics);
  return { requests, commit: commit as never };
}

const position = (partition: number, offset: number) => ({ topic: 't', partition, offset: String(offset) });

describe('lazy offset commits (test clock)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('commits the first batch at once and the ones after it together when the interval has passed', async () => {
    const { requests, commit } = recordingCommit();
    const committer = createOffsetCommitter(1_000, silentLogger);
    committer.handled(position(0, 1), commit);
    await vi.advanceTimersByTimeAsync(0);
    expect(requests).toEqual([[{ topic: 't', partitions: [{ partition: 0, offset: '1' }] }]]);

    committer.handled(position(0, 5), commit);
    committer.handled(position(1, 3), commit);
    await vi.advanceTimersByTimeAsync(999);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toEqual([
      [{ topic: 't', partitions: [{ partition: 0, offset: '1' }] }],
      [{ topic: 't', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '3' }] }],
    ]);
    committer.stop();
  });

  it('commits everything recorded when flushed, and nothing for partitions it forgot', async () => {
    const { requests, commit } = recordingCommit();
    const committer = createOffsetCommitter(60_000, silentLogger);
    committer.handled(position(0, 1), commit);
    await vi.advanceTimersByTimeAsync(0);
    committer.handled(position(0, 9), commit);
    committer.handled(position(2, 4), commit);
    committer.forget([{ topic: 't', partition: 2 }]);
    await committer.flush();
    expect(requests.at(-1)).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '9' }] }]);
    expect(requests).toHaveLength(2);
    committer.stop();
  });

  it('commits after every batch with an interval of 0', async () => {
    const { requests, commit } = recordingCommit();
    const committer = createOffsetCommitter(0, silentLogger);
    for (let offset = 1; offset <= 3; offset++) {
      committer.handled(position(0, offset), commit);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(requests.map((r) => r[0]!.partitions[0]!.offset)).toEqual(['1', '2', '3']);
  });
});
