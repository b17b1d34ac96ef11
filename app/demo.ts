import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInvariants, type InvariantReport } from '../orders/invariants.ts';
import type { OrderView } from '../orders/orderView.ts';
import type { PrunedRows } from '../runtime/sagaStore.ts';
import { silentLogger } from '../runtime/logger.ts';
import { apiKeyHash } from '../api/apiKey.ts';
import type { SagaDemoReport } from '../sdk/defineSaga.ts';
import type { Config } from './config.ts';
import { sagaCatalog } from './sagaCatalog.ts';
import { createEmbeddedAdapters } from './embeddedAdapters.ts';
import { countHousekeepingRows, formatHousekeepingRows, type HousekeepingRows } from './housekeepingRows.ts';
import { orderRequestFor, scenarioFor } from './orderMix.ts';
import { sagaCounters, type SagaCounters } from './sagaCounters.ts';
import { quantile } from './stats.ts';
import { startSystem } from './system.ts';

export type DemoOptions = Readonly<{
  orders: number;
  concurrency: number;
  timeoutMs: number;
  quiet?: boolean;
  /** How many sagas each other saga's demo drives once the orders ended, by its flag (`returns: 300`). */
  sagas?: Readonly<Record<string, number>>;
}>;

/** What one saga's demo reported, under its flag. */
export type SagaDemoResult = SagaDemoReport & Readonly<{ flag: string; count: number }>;

export type DemoResult = Readonly<{
  orders: number;
  seconds: number;
  sagasPerSecond: number;
  latencyMs: Readonly<{ p50: number; p99: number }>;
  invariants: InvariantReport;
  /** What the housekeeping tables hold at the end, and what retention deleted during the run. */
  housekeeping: HousekeepingRows;
  pruned: PrunedRows;
  /** What the saga counters of `/metrics` say at the end: the same as the event store, or the metrics are wrong. */
  metrics: SagaCounters;
  /** The other sagas' demos, in the order of the system list. */
  sagaDemos: readonly SagaDemoResult[];
}>;

let lastTenth = -1;

function progress(done: number, total: number, quiet?: boolean): void {
  if (quiet) return;
  // A log file gets a line per tenth; a terminal gets a bar redrawn in place.
  if (!process.stderr.isTTY) {
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth) process.stderr.write(`${done}/${total} orders finished\n`);
    lastTenth = tenth;
    return;
  }
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} orders finished`);
}

/**
 * Runs the embedded system, sends `orders` orders over HTTP with every failure mode, waits for each
 * to end, and checks the invariants. The data directory is a fresh temporary one unless given.
 */
export async function runDemo(config: Config, options: DemoOptions): Promise<DemoResult> {
  const fresh = config.dataDir === './.xsaga' ? await mkdtemp(join(tmpdir(), 'xsaga-demo-')) : undefined;
  // Other sagas' demos act as an operator (approvals): a key of the demo's own, for this run only.
  const operatorKey = randomBytes(32).toString('base64url');
  const operator = { name: 'demo', role: 'operator' as const, sha256: apiKeyHash(operatorKey) };
  const runConfig = { ...config, ...(fresh ? { dataDir: fresh } : {}), apiKeys: [...config.apiKeys, operator] };
  const system = await startSystem({ config: runConfig, adapters: await createEmbeddedAdapters(runConfig), logger: silentLogger });
  try {
    const url = await system.listen(0);
    const started = performance.now();
    let next = 0;
    const ids: string[] = [];
    const sender = async () => {
      while (next < options.orders) {
        const index = next++;
        const response = await fetch(`${url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `demo-${started}-${index}` },
          body: JSON.stringify(orderRequestFor(index, scenarioFor(index))),
        });
        if (response.status !== 202) throw new Error(`POST /orders answered ${response.status}: ${await response.text()}`);
        ids.push(((await response.json()) as { orderId: string }).orderId);
      }
    };
    const sending = Promise.all(Array.from({ length: options.concurrency }, sender));

    const deadline = Date.now() + options.timeoutMs;
    let finished = 0;
    for (;;) {
      const counts = await system.adapters.readModel.countByStatus();
      finished = counts.COMPLETED + counts.FAILED;
      progress(finished, options.orders, options.quiet);
      if (finished >= options.orders || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await sending;
    const seconds = (performance.now() - started) / 1000;
    if (!options.quiet) process.stderr.write('\n');

    const views = (await Promise.all(ids.map((id) => system.adapters.readModel.get(id)))).filter((v): v is OrderView => v !== undefined);
    const latencies = views.filter((v) => v.status !== 'PENDING').map((v) => Date.parse(v.updatedAt) - Date.parse(v.placedAt));
    // The orders' invariants hold before other sagas (returns) move their money and stock on; each of those checks its own.
    const invariants = await checkInvariants({ sql: system.adapters.sql, store: system.adapters.store, readModel: system.adapters.readModel });
    const sagaDemos: SagaDemoResult[] = [];
    for (const saga of sagaCatalog().sagas) {
      const demo = saga.parts.demo;
      const count = demo ? (options.sagas?.[demo.flag] ?? 0) : 0;
      if (!demo || count === 0) continue;
      const report = await demo.run({
        url,
        operatorHeaders: { authorization: `Bearer ${operatorKey}` },
        count,
        concurrency: options.concurrency,
        deadline: Date.now() + options.timeoutMs,
        sql: system.adapters.sql,
        views: (machineId) => system.viewStores.get(machineId),
      });
      sagaDemos.push({ flag: demo.flag, count, ...report });
    }
    await system.relay.idle();
    return {
      orders: options.orders,
      seconds,
      sagasPerSecond: finished / seconds,
      latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
      invariants,
      housekeeping: await countHousekeepingRows(system.adapters.sql),
      pruned: system.retention.totals(),
      metrics: await sagaCounters(system.metrics.registry, system.definition.machine.id),
      sagaDemos,
    };
  } finally {
    await system.stop();
    if (fresh) await rm(fresh, { recursive: true, force: true });
  }
}

/** The saga counters as `/metrics` has them, and whether they agree with the orders the event store holds. */
function formatCounters({ metrics, invariants }: DemoResult): string {
  const failed = Object.entries(metrics.failedByReason).sort();
  const agree =
    metrics.started === invariants.orders &&
    metrics.completed === invariants.completed &&
    JSON.stringify(failed) === JSON.stringify(Object.entries(invariants.failedByReason).sort());
  const reasons = failed.map(([reason, n]) => `${reason} ${n}`).join(', ');
  return `started ${metrics.started}, completed ${metrics.completed}, failed ${reasons || 0} (xsaga_sagas_*_total; ${agree ? 'as the event store says' : 'NOT as the event store says'})`;
}

export function formatDemoResult(result: DemoResult): string {
  const { invariants } = result;
  const lines = [
    `orders       ${result.orders} in ${result.seconds.toFixed(2)} s`,
    `completed    ${invariants.completed}`,
    ...Object.entries(invariants.failedByReason)
      .sort()
      .map(([reason, n]) => `failed       ${n}  ${reason}`),
    `pending      ${invariants.pending}`,
    `throughput   ${result.sagasPerSecond.toFixed(0)} sagas/s`,
    `latency      p50 ${result.latencyMs.p50.toFixed(0)} ms, p99 ${result.latencyMs.p99.toFixed(0)} ms (accepted → terminal)`,
    `housekeeping ${formatHousekeepingRows(result.housekeeping)}`,
    `metrics      ${formatCounters(result)}`,
    `pruned       outbox ${result.pruned.publishedOutbox}, applied ids ${result.pruned.appliedMessageIds}, idempotency keys ${result.pruned.idempotencyKeys} (retention during the run)`,
    invariants.violations.length === 0
      ? 'invariants   all hold (terminal once, charged/reserved/shipped once, reverse compensation, stock conserved, read model converged)'
      : `invariants   ${invariants.violations.length} VIOLATED:\n  ${invariants.violations.slice(0, 20).join('\n  ')}`,
  ];
  for (const demo of result.sagaDemos) {
    lines.push(`${demo.flag.padEnd(12)} ${demo.count} requested`, ...demo.lines.map((line) => `  ${line}`));
    lines.push(
      demo.violations.length === 0
        ? `  invariants all hold${demo.pending > 0 ? `, but ${demo.pending} did not end` : ''}`
        : `  invariants ${demo.violations.length} VIOLATED:\n    ${demo.violations.slice(0, 20).join('\n    ')}`,
    );
  }
  return lines.join('\n');
}
