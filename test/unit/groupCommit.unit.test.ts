import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../runtime/groupCommit.ts';

/** A commit that records its batches, holds each until released when asked to, and refuses a batch holding `bad`. */
function recordingCommit(options: { hold?: boolean } = {}) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const commit = async (items: readonly number[]) => {
    batches.push([...items]);
    if (options.hold) await new Promise<void>((resolve) => releases.push(resolve));
    if (items.includes(13)) throw new Error('13 is refused');
  };
  return { batches, releases, commit };
}

describe('group commit', () => {
  it('commits the writes of one turn of the event loop together', async () => {
    const { batches, commit } = recordingCommit();
    const write = createGroupCommit(commit);
    await Promise.all([write(1), write(2), write(3)]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('commits the writes that arrive while a commit runs in the next one, together', async () => {
    const { batches, releases, commit } = recordingCommit({ hold: true });
    const write = createGroupCommit(commit);
    const first = write(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    const later = [write(2), write(3)];
    releases.shift()!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    releases.shift()!();
    await Promise.all(later);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('fails only the caller of a refused write: a shared commit that fails is retried one write at a time', async () => {
    const { batches, commit } = recordingCommit();
    const write = createGroupCommit(commit);
    const results = await Promise.allSettled([write(1), write(13), write(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([[1, 13, 2], [1], [13], [2]]);
  });

  it('takes at most its batch limit per commit', async () => {
    const { batches, commit } = recordingCommit();
    const write = createGroupCommit(commit, 2);
    await Promise.all([1, 2, 3, 4, 5].map(write));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });
});
