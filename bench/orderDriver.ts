import { orderRequestFor, DEFAULT_MIX, scenarioFor } from '../app/orderMix.ts';
import { quantile } from '../app/stats.ts';
import type { OrderView } from '../orders/orderView.ts';
import type { MessageBus } from '../runtime/messageBus.ts';
import type { ScenarioOptions, ScenarioResult } from './benchTypes.ts';

/** The demo's mix without the order whose payment never answers: its latency is the deadline, not the system. */
export const BENCH_MIX = DEFAULT_MIX.filter((s) => s.paymentToken !== 'tok_no_answer');

export type DriveResult = Readonly<{
  completed: number;
  seconds: number;
  latencies: number[];
  readModelLags: number[];
}>;

/**
 * Sends orders over HTTP and learns that a saga ended from the `order-events` facts on the bus
 * (a consumer group of its own), so waiting costs no polling. Latency is server-side: from the
 * order's acceptance (`placedAt`) to the commit of its terminal state (`updatedAt`). Every
 * twentieth order's read-model lag is sampled through `GET /orders/:id?minVersion=`.
 */
export async function driveOrders(args: { url: string; bus: MessageBus; factsTopic: string; options: ScenarioOptions; runId: string }): Promise<DriveResult> {
  const { url, options } = args;
  const waiting = new Map<string, (view: OrderView) => void>();
  const ended = new Map<string, OrderView>();
  const observer = await args.bus.subscribe({
    group: `bench-observer-${args.runId}`,
    topics: [args.factsTopic],
    handler: async ({ messages }) => {
      for (const message of messages) {
        const { view } = message.data as { view: OrderView };
        if (view.status === 'PENDING' || ended.has(view.orderId)) continue;
        ended.set(view.orderId, view);
        waiting.get(view.orderId)?.(view);
      }
    },
  });
  const deadline = Date.now() + options.timeoutMs;
  const total = options.warmup + options.sagas;
  const latencies: number[] = [];
  const lagSamples: Promise<number | undefined>[] = [];
  let measuredStart = 0;
  let measuredEnd = 0;
  let completed = 0;

  async function one(index: number): Promise<void> {
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(orderRequestFor(index, scenarioFor(index, BENCH_MIX))),
    });
    if (response.status !== 202) throw new Error(`POST /orders answered ${response.status}: ${await response.text()}`);
    const { orderId } = (await response.json()) as { orderId: string };
    const view =
      ended.get(orderId) ??
      (await new Promise<OrderView | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
        waiting.set(orderId, (v) => {
          clearTimeout(timer);
          resolve(v);
        });
      }));
    waiting.delete(orderId);
    if (!view || index < options.warmup) return;
    completed++;
    measuredEnd = performance.now();
    latencies.push(Date.parse(view.updatedAt) - Date.parse(view.placedAt));
    if (index % 20 === 0) {
      const asked = performance.now();
      lagSamples.push(fetch(`${url}/orders/${orderId}?minVersion=${view.version}`).then((r) => (r.ok ? performance.now() - asked : undefined)));
    }
  }

  let next = 0;
  const take = () => (next < total && Date.now() < deadline ? next++ : undefined);
  const markStart = (index: number) => {
    if (index === options.warmup) measuredStart = performance.now();
  };
  if (options.load.kind === 'closed') {
    await Promise.all(
      Array.from({ length: options.load.concurrency }, async () => {
        for (let index = take(); index !== undefined; index = take()) {
          markStart(index);
          await one(index);
        }
      }),
    );
  } else {
    const interval = 1000 / options.load.ratePerSecond;
    const inFlight: Promise<void>[] = [];
    const began = performance.now();
    for (let index = take(); index !== undefined; index = take()) {
      markStart(index);
      inFlight.push(one(index));
      const due = began + (index + 1) * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await Promise.all(inFlight);
  }
  await observer.stop();
  const lags = (await Promise.all(lagSamples)).filter((lag): lag is number => lag !== undefined);
  return { completed, seconds: Math.max(0.001, (measuredEnd - measuredStart) / 1000), latencies, readModelLags: lags };
}

/** A scenario's result from what the driver and the CPU window measured. */
export function scenarioResult(
  scenario: string,
  options: ScenarioOptions,
  run: DriveResult,
  usage: Pick<ScenarioResult, 'cpuSecondsPer1000' | 'serverCpuSecondsPer1000' | 'peakRssMiB'>,
  notes?: readonly string[],
): ScenarioResult {
  return {
    scenario,
    sagas: options.sagas,
    completed: run.completed,
    seconds: run.seconds,
    sagasPerSecond: run.completed / run.seconds,
    latencyMs: { p50: quantile(run.latencies, 0.5), p95: quantile(run.latencies, 0.95), p99: quantile(run.latencies, 0.99) },
    readModelLagP99Ms: quantile(run.readModelLags, 0.99),
    ...usage,
    ...(notes ? { notes } : {}),
  };
}
