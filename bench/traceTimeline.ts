import { parseArgs } from 'node:util';
import { quantile } from '../app/stats.ts';
import { startOtlpReceiver } from '../test/support/otlpReceiver.ts';
import type { TraceSpan } from '../test/support/traceSpans.ts';
import { runProductionScenario } from './scenarios/productionScenario.ts';

/**
 * Where a saga's latency goes: runs one setting of xsaga production with tracing on, collects the
 * role processes' spans over OTLP on 127.0.0.1, and prints, step by step along each saga's chain
 * (the HTTP request, then each transition and participant command in the order they started), the
 * median time inside the step's span and in the gap before it: the hop from the previous step
 * (its publish, Kafka, the next consumer's fetch and its wait for a turn; negative where a step runs
 * inside the one before, as the API's transition inside its request). The projector runs beside
 * the chain and is left out. Run on servers already up (`scripts/infra.sh up`); tracing adds its
 * own cost, so compare steps with each other, not with the bench.
 *
 *   node bench/traceTimeline.ts --concurrency 1 --sagas 100
 */
const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '1' }, sagas: { type: 'string', default: '100' } } });
const receiver = await startOtlpReceiver();
Object.assign(process.env, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' });
const result = await runProductionScenario({
  sagas: Number(values.sagas),
  warmup: 50,
  load: { kind: 'closed', concurrency: Number(values.concurrency) },
  timeoutMs: 300_000,
  workers: 1,
}).finally(() => receiver.close());
console.log(`${result.sagasPerSecond.toFixed(1)} sagas/s, p50 ${result.latencyMs.p50.toFixed(1)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms`);

const traces = new Map<string, TraceSpan[]>();
for (const span of receiver.spans()) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
const steps = new Map<string, number[]>();
const add = (step: string, ms: number) => steps.set(step, [...(steps.get(step) ?? []), ms]);
let chains = 0;
for (const spans of traces.values()) {
  const chain = spans.filter((span) => !span.name.startsWith('projector')).sort((a, b) => a.startMs - b.startMs);
  if (chain[0]?.name !== 'POST /orders') continue;
  chains++;
  chain.forEach((span, i) => {
    const step = `${String(i).padStart(2)} ${span.name} (${span.service})`;
    if (i > 0) add(`${step}: gap before`, span.startMs - chain[i - 1]!.endMs);
    add(`${step}: inside`, span.endMs - span.startMs);
  });
  add('whole chain', chain.at(-1)!.endMs - chain[0]!.startMs);
}
console.log(`${chains} sagas traced from their POST; median ms (sagas) per step, in start order:`);
for (const [step, ms] of [...steps].sort(([a], [b]) => a.localeCompare(b))) console.log(`${quantile(ms, 0.5).toFixed(2).padStart(8)}  (${String(ms.length).padStart(4)})  ${step}`);
