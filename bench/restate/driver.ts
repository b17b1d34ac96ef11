import { setTimeout as sleep } from 'node:timers/promises';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { BENCH_MIX } from '../orderDriver.ts';
import { quantile } from '../../app/stats.ts';
import { orderTotal } from '../../orders/placeOrderRequest.ts';
import type { LoadShape, ScenarioOptions } from '../benchTypes.ts';
import type { OrderSagaOutcome, OrderSagaRequest } from './orderSaga.ts';
import { cpuWindow } from '../processStats.ts';

export type DriverInput = Readonly<{
  ingress: string;
  runId: string;
  options: ScenarioOptions;
  paymentTimeoutMs: number;
  /** The processes of the system under test, by the name they are reported under. */
  pids: Readonly<Record<string, number>>;
  /** Epoch milliseconds at which the driver stops offering load and abandons the sagas still running. */
  stopBy: number;
  /** The shared servers the system under test writes to, whose CPU counts as its own (none for the in-memory variant). */
  servers: readonly string[];
}>;

/** What the driver measured; the scenario turns it into a ScenarioResult. */
export type DriverReport = Readonly<{
  completed: number;
  seconds: number;
  latencyMs: Readonly<{ p50: number; p95: number; p99: number }>;
  cpuSecondsPer1000: Readonly<Record<string, number>>;
  serverCpuSecondsPer1000?: Readonly<Record<string, number>>;
  peakRssMiB: Readonly<Record<string, number>>;
  /** Terminal states reached, as `completed` or `failed: <reason>`, with their counts. */
  outcomes: Readonly<Record<string, number>>;
  /**
   * The sagas that did not wait for the payment deadline, and the time from the start until the last
   * of them ended: with a deadline of seconds, the few that wait for it stretch the measured window.
   */
  undelayed: Readonly<{ sagas: number; seconds: number }>;
  errors: number;
  firstError?: string;
  timedOut: boolean;
}>;

type Round = {
  latencies: number[];
  outcomes: Record<string, number>;
  undelayed: { sagas: number; seconds: number };
  errors: number;
  firstError?: string;
  seconds: number;
};

/**
 * Offers `count` sagas with the given load shape over the ingress and waits for each saga's
 * terminal state, which the workflow's `run` call returns. Latency runs from the call to its result.
 */
async function drive(input: DriverInput, phase: string, count: number, load: LoadShape, signal: AbortSignal): Promise<Round> {
  const round: Round = { latencies: [], outcomes: {}, undelayed: { sagas: 0, seconds: 0 }, errors: 0, seconds: 0 };
  const started = performance.now();
  const runSaga = async (index: number) => {
    const scenario = scenarioFor(index, BENCH_MIX);
    const request = orderRequestFor(index, scenario);
    const orderId = `${input.runId}-${phase}-${index}`;
    const body: OrderSagaRequest = {
      order: { ...request, orderId, total: orderTotal(request.items), placedAt: new Date().toISOString() },
      settings: { paymentTimeoutMs: input.paymentTimeoutMs },
    };
    const callStarted = performance.now();
    try {
      const response = await fetch(`${input.ingress}/orderSaga/${encodeURIComponent(orderId)}/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      const outcome = (await response.json()) as OrderSagaOutcome;
      round.latencies.push(performance.now() - callStarted);
      const key = outcome.status === 'completed' ? 'completed' : `failed: ${outcome.failureReason}`;
      round.outcomes[key] = (round.outcomes[key] ?? 0) + 1;
      if (outcome.failureReason !== 'PAYMENT_TIMEOUT') {
        round.undelayed.sagas++;
        round.undelayed.seconds = (performance.now() - started) / 1000;
      }
    } catch (error) {
      if (signal.aborted) return;
      round.errors++;
      round.firstError ??= String(error);
    }
  };

  if (load.kind === 'closed') {
    let next = 0;
    const caller = async () => {
      while (next < count && !signal.aborted) await runSaga(next++);
    };
    await Promise.all(Array.from({ length: Math.min(load.concurrency, count) }, caller));
  } else {
    // Arrivals follow the clock, not the answers: each saga starts on schedule and is awaited on its own.
    const running: Promise<void>[] = [];
    for (let index = 0; index < count && !signal.aborted; index++) {
      const due = started + (index * 1000) / load.ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      running.push(runSaga(index));
    }
    await Promise.all(running);
  }
  round.seconds = (performance.now() - started) / 1000;
  return round;
}

/** Warm-up unmeasured, then the measured sagas with CPU read from /proc around exactly that window. */
export async function runDriver(input: DriverInput): Promise<DriverReport> {
  const signal = AbortSignal.timeout(Math.max(0, input.stopBy - Date.now()));
  const { options } = input;
  if (options.warmup > 0) await drive(input, 'warmup', options.warmup, options.load, signal);
  // /proc is the host's: the namespace separates the network only, so the servers' processes are visible from here.
  const cpu = cpuWindow(input.pids, { servers: input.servers });
  const measured = await drive(input, 'measured', options.sagas, options.load, signal);
  const completed = measured.latencies.length;
  const usage = cpu.end(Math.max(1, completed));
  return {
    completed,
    seconds: measured.seconds,
    latencyMs: { p50: quantile(measured.latencies, 0.5), p95: quantile(measured.latencies, 0.95), p99: quantile(measured.latencies, 0.99) },
    cpuSecondsPer1000: usage.cpuSecondsPer1000,
    ...(input.servers.length > 0 && usage.serverCpuSecondsPer1000 ? { serverCpuSecondsPer1000: usage.serverCpuSecondsPer1000 } : {}),
    peakRssMiB: usage.peakRssMiB,
    outcomes: measured.outcomes,
    undelayed: measured.undelayed,
    errors: measured.errors,
    ...(measured.firstError === undefined ? {} : { firstError: measured.firstError }),
    timedOut: signal.aborted,
  };
}

// Run inside the namespace by runRestateScenario: the input is the one argument, the report one JSON line on stdout.
if (import.meta.main) {
  const report = await runDriver(JSON.parse(process.argv[2]!) as DriverInput);
  // Idle keep-alive connections to the ingress must not hold the process open.
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}
