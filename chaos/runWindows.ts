import { quantile } from '../app/stats.ts';
import type { SubmittedOrder } from './chaosClient.ts';

export type WindowStats = Readonly<{
  name: 'before faults' | 'during faults' | 'after faults';
  fromMs: number;
  toMs: number;
  /** Orders first sent in the window. */
  sent: number;
  /** Orders that ended in the window, per second. */
  endedPerSecond: number;
  /** From first send to the saga's end, of the orders sent in the window that ended. */
  p50Ms: number;
  p99Ms: number;
}>;

export type RunWindows = Readonly<{
  windows: readonly WindowStats[];
  /** The order that waited longest while a fault was under way, and the faults it overlapped. */
  longestFaultWait?: Readonly<{ orderId: string; waitedMs: number; faults: readonly string[] }>;
}>;

type Interval = Readonly<{ kind: string; target: string; startedAt: number; endedAt: number }>;

/**
 * Throughput and latency before the first fault, while faults are under way and after the last
 * one, by wall-clock time: an order's latency runs from its first send to its stream's last commit.
 */
export function runWindows(input: { orders: readonly SubmittedOrder[]; endOf: ReadonlyMap<string, number>; faults: readonly Interval[]; startedAt: number; loadEndedAt: number }): RunWindows {
  const { orders, endOf, faults, startedAt, loadEndedAt } = input;
  const firstFault = Math.min(...faults.map((f) => f.startedAt), loadEndedAt);
  const lastFaultEnd = Math.max(...faults.map((f) => f.endedAt), firstFault);
  const spans = [
    { name: 'before faults', fromMs: startedAt, toMs: firstFault },
    { name: 'during faults', fromMs: firstFault, toMs: lastFaultEnd },
    { name: 'after faults', fromMs: lastFaultEnd, toMs: Math.max(loadEndedAt, lastFaultEnd) },
  ] as const;
  const ends = [...endOf.values()];
  const windows = spans.map(({ name, fromMs, toMs }): WindowStats => {
    const sent = orders.filter((o) => o.firstSentAt >= fromMs && o.firstSentAt < toMs);
    const latencies = sent.flatMap((o) => (o.orderId && endOf.has(o.orderId) ? [endOf.get(o.orderId)! - o.firstSentAt] : []));
    const seconds = Math.max(0.001, (toMs - fromMs) / 1000);
    return {
      name,
      fromMs,
      toMs,
      sent: sent.length,
      endedPerSecond: ends.filter((at) => at >= fromMs && at < toMs).length / seconds,
      p50Ms: latencies.length > 0 ? quantile(latencies, 0.5) : 0,
      p99Ms: latencies.length > 0 ? quantile(latencies, 0.99) : 0,
    };
  });

  let longestFaultWait: RunWindows['longestFaultWait'];
  for (const order of orders) {
    const end = order.orderId ? endOf.get(order.orderId) : undefined;
    if (end === undefined) continue;
    const overlapped = faults.filter((f) => f.startedAt <= end && f.endedAt >= order.firstSentAt);
    const waitedMs = end - order.firstSentAt;
    if (overlapped.length > 0 && waitedMs > (longestFaultWait?.waitedMs ?? -1)) {
      longestFaultWait = { orderId: order.orderId!, waitedMs, faults: overlapped.map((f) => `${f.kind} (${f.target})`) };
    }
  }
  return { windows, longestFaultWait };
}
