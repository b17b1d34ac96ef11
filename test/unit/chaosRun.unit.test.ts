import { describe, expect, it } from 'vitest';
import type { SubmittedOrder } from '../../chaos/chaosClient.ts';
import { FAULT_KINDS, faultSchedule, parseFaultKinds } from '../../chaos/faultSchedule.ts';
import { runWindows } from '../../chaos/runWindows.ts';

describe('the chaos fault schedule', () => {
  it('injects every kind the asked number of times, inside the run and outside its quiet ends', () => {
    const schedule = faultSchedule({ kinds: FAULT_KINDS, repeats: 2, durationMs: 300_000, quietStartMs: 20_000, quietEndMs: 45_000 });
    expect(schedule).toHaveLength(FAULT_KINDS.length * 2);
    for (const kind of FAULT_KINDS) expect(schedule.filter((f) => f.kind === kind)).toHaveLength(2);
    expect(Math.min(...schedule.map((f) => f.atMs))).toBe(20_000);
    expect(Math.max(...schedule.map((f) => f.atMs))).toBeLessThan(300_000 - 45_000);
  });

  it('keeps two faults of one kind a whole round apart, so one outage is over before the same server is hit again', () => {
    const schedule = faultSchedule({ kinds: FAULT_KINDS, repeats: 3, durationMs: 330_000, quietStartMs: 0, quietEndMs: 0 });
    for (const kind of FAULT_KINDS) {
      const times = schedule.filter((f) => f.kind === kind).map((f) => f.atMs);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(110_000);
    }
  });

  it('refuses a run too short for its quiet ends, and fault names it does not know', () => {
    expect(() => faultSchedule({ kinds: ['kill-api'], repeats: 1, durationMs: 10_000, quietStartMs: 6_000, quietEndMs: 5_000 })).toThrow(/no time for faults/);
    expect(parseFaultKinds('all')).toEqual([...FAULT_KINDS]);
    expect(parseFaultKinds('kill-api, restart-redis,kill-api')).toEqual(['kill-api', 'restart-redis']);
    expect(() => parseFaultKinds('kill-api,unplug-cable')).toThrow(/unknown: unplug-cable/);
  });
});

describe('the chaos run windows', () => {
  const order = (index: number, firstSentAt: number): SubmittedOrder => ({ index, idempotencyKey: `k${index}`, firstSentAt, orderId: `o${index}`, orderIds: new Set([`o${index}`]), attempts: 1 });

  it('splits the run at the first fault and the end of the last, and finds the order that waited longest during one', () => {
    const orders = [order(0, 0), order(1, 1000), order(2, 5000), order(3, 9000)];
    const endOf = new Map([
      ['o0', 100],
      ['o1', 1200],
      ['o2', 7500],
      ['o3', 9050],
    ]);
    const { windows, longestFaultWait } = runWindows({ orders, endOf, faults: [{ kind: 'restart-kafka', target: 'kafka', startedAt: 4000, endedAt: 8000 }], startedAt: 0, loadEndedAt: 10_000 });
    expect(windows.map((w) => [w.name, w.sent, w.p99Ms])).toEqual([
      ['before faults', 2, 200],
      ['during faults', 1, 2500],
      ['after faults', 1, 50],
    ]);
    expect(windows[0]!.endedPerSecond).toBe(0.5);
    expect(longestFaultWait).toEqual({ orderId: 'o2', waitedMs: 2500, faults: ['restart-kafka (kafka)'] });
  });
});
