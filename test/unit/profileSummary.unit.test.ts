import { describe, expect, it } from 'vitest';
import { ownerOf, selfTimes, summarize } from '../../bench/profileSummary.ts';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/** A root that calls the bus (kafkajs) and the runtime, and idles; time deltas in microseconds. */
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('send', 'file:///work/xsaga/node_modules/kafkajs/src/producer/sendMessages.js') },
    { id: 3, callFrame: frame('processBatch', 'file:///work/xsaga/runtime/sagaRuntime.ts') },
    { id: 4, callFrame: frame('(idle)') },
  ],
  samples: [2, 3, 2, 4, 2],
  timeDeltas: [0, 1000, 2000, 3000, 4000],
  startTime: 0,
  endTime: 10_000,
};

describe('the CPU profile summary', () => {
  it('names the owner of a frame: a package, a scoped package, a project folder, node, the VM', () => {
    expect(ownerOf('file:///x/node_modules/kafkajs/src/a.js', 'f')).toBe('kafkajs');
    expect(ownerOf('file:///x/node_modules/@elastic/transport/lib/a.js', 'f')).toBe('@elastic/transport');
    expect(ownerOf('file:///x/node_modules/a/node_modules/pg/lib/a.js', 'f')).toBe('pg');
    expect(ownerOf('file:///work/xsaga/runtime/sagaRuntime.ts', 'f')).toBe('xsaga runtime/');
    expect(ownerOf('node:internal/streams/writable', 'f')).toBe('node internals');
    expect(ownerOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(ownerOf('', 'writev')).toBe('(vm)');
  });

  it('gives each sample the time until the next one, and leaves idle time out of the shares', () => {
    expect([...selfTimes(profile).entries()].sort()).toEqual([
      [2, 1 + 3],
      [3, 2],
      [4, 4],
    ]);
    const text = summarize('worker', profile, 5);
    expect(text).toContain('worker: 6 ms busy of 10 ms sampled');
    expect(text).toMatch(/66\.7 %\s+4 ms {2}kafkajs/);
    expect(text).toMatch(/33\.3 %\s+2 ms {2}xsaga runtime\//);
    expect(text).not.toContain('(idle)');
  });

  it("leaves out the samples of the first milliseconds: a process's start-up", () => {
    // The samples are taken at 0, 1, 3, 6 and 10 ms.
    expect([...selfTimes(profile, 2).entries()].sort()).toEqual([
      [2, 3],
      [4, 4],
    ]);
  });
});
