import { orderRequestFor, DEFAULT_MIX, scenarioFor } from '../app/orderMix.ts';
import { quantile } from '../app/stats.ts';
import type { OrderView } from '../orders/orderView.ts';
import type { MessageBus } from '../runtime/messageBus.ts';
import type { ScenarioOptions, ScenarioResult } from './benchTypes.ts';

/** The demo's mix without the order whose payment never answers: its latency is the deadline, not the system. */
export const BENCH_MIX = DEFAULT_MIX.filter((s) => s.paymentToken !== 'tok_no_answer');

/** A saga's terminal view and when the driver received it. */
type Ending = Readonly<{ view: OrderView; at: number }>;

export type DriveResult = Readonly<{
  completed: number;
  seconds: number;
  latencies: number[];
  readModelLags: number[];
}>;

/**
 * Sends orders over HTTP and learns that a saga ended from the `order-events` facts on the bus
 * (a consumer group of its own), so waiting costs no polling. Latency is what a client sees, as for
 * Restate, whose driver times the call that returns the workflow's result: from sending the order
 * to receiving the fact of its terminal state. Every twentieth order's read-model lag is sampled
 * through `GET /orders/:id?minVersion=`.
 */
export async function driveOrders(args: { url: string; bus: MessageBus; factsTopic: string; options: ScenarioOptions; runId: string }): Promise<DriveResult> {
  const { url, options } = args;
  const waiting = new Map<string, (ending: Ending) => void>();
  const ended = new Map<string, Ending>();
  const observer = await args.bus.subscribe({
    group: `bench-observer-${args.runId}`,
    topics: [args.factsTopic],
    handler: async ({ messages }) => {
      for (const message of messages) {
        const { view } = message.data as { view: OrderView };
        if (view.status === 'PENDING' || ended.has(view.orderId)) continue;
        const ending = { view, at: performance.now() };
        ended.set(view.orderId, ending);
        waiting.get(view.orderId)?.(ending);
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
    const sent = performance.now();
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(orderRequestFor(index, scenarioFor(index, BENCH_MIX))),
    });
    if (response.status !== 202) throw new Error(`POST /orders answered ${response.status}: ${await response.text()}`);
    const { orderId } = (await response.json()) as { orderId: string };
    const ending =
      ended.get(orderId) ??
      (await new Promise<Ending | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
        waiting.set(orderId, (v) => {
          clearTimeout(timer);
          resolve(v);
        });
      }));
    waiting.delete(orderId);
    if (!ending || index < options.warmup) return;
    const { view } = ending;
    completed++;
    measuredEnd = performance.now();
    latencies.push(ending.at - sent);
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
