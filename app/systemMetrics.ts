import type { Registry } from 'prom-client';
import { instrumentedBus } from '../adapters/prometheus/instrumentedBus.ts';
import { instrumentedStore } from '../adapters/prometheus/instrumentedStore.ts';
import { createMetricsRegistry, expositionOf } from '../adapters/prometheus/metricsRegistry.ts';
import { createPrometheusHttpMetrics } from '../adapters/prometheus/prometheusHttpMetrics.ts';
import { createPrometheusRuntimeMetrics } from '../adapters/prometheus/prometheusRuntimeMetrics.ts';
import { registerRelayGauges, type RelayGauges } from '../adapters/prometheus/relayGauges.ts';
import { registerSagaGauges, type StateCount } from '../adapters/prometheus/sagaGauges.ts';
import { scrapedSource, sourcesUp } from '../adapters/prometheus/scrapedSource.ts';
import type { HttpMetrics } from '../runtime/httpMetrics.ts';
import type { MessageBus } from '../runtime/messageBus.ts';
import type { MetricsExposition } from '../runtime/metricsExposition.ts';
import type { RuntimeMetrics } from '../runtime/runtimeMetrics.ts';
import type { MachineRegistry } from '../runtime/sagaDefinition.ts';
import type { SagaStore } from '../runtime/sagaStore.ts';
import type { SagaViewBase, SagaViewStore } from '../runtime/viewStore.ts';
import type { SystemConsumer } from './systemConsumers.ts';
import type { SystemAdapters } from './system.ts';

/** A bound for the store and the bus, read at scrape time: well within Prometheus's 10 s scrape timeout. */
const SCRAPE_READ_TIMEOUT_MS = 3000;

/** Every metric of one system, in a registry of its own. */
export type SystemMetrics = Readonly<{
  registry: Registry;
  exposition: MetricsExposition;
  runtime: RuntimeMetrics;
  http: HttpMetrics;
  /** The adapters with the bus's handled batches measured per consumer and the store's commits timed. */
  measure(adapters: SystemAdapters, consumers: readonly SystemConsumer[]): SystemAdapters;
  /** The relay leader's gauges: outbox, timers, every group's lag. */
  watchRelay(sources: Readonly<{ store: SagaStore; bus: MessageBus; consumers: readonly Readonly<{ group: string; topic: string }>[] }>): RelayGauges;
  /** The api's gauges: sagas in flight per state, and those needing attention. */
  watchSagas(sources: Readonly<{ machines: MachineRegistry; readModels: Readonly<Record<string, SagaViewStore<SagaViewBase>>>; store: SagaStore; now?: () => number }>): void;
}>;

/** The states whose sagas are done: the machine's top-level final states. */
function finalStatesOf(machines: MachineRegistry, machine: string): ReadonlySet<string> {
  const finals = new Set<string>();
  for (const definition of machines.all()) {
    if (definition.machine.id !== machine) continue;
    for (const [key, node] of Object.entries(definition.machine.root.states)) if (node.type === 'final') finals.add(key);
  }
  return finals;
}

/**
 * The metrics of a system running `roles` (docs/decisions/0017). `processMetrics` adds Node's
 * default metrics; the entry point asks for them, tests that start many systems in one process need not.
 */
export function createSystemMetrics(options: Readonly<{ mode: string; roles: readonly string[]; processMetrics: boolean }>): SystemMetrics {
  const registry = createMetricsRegistry(options);
  const up = sourcesUp(registry);
  return {
    registry,
    exposition: expositionOf(registry),
    runtime: createPrometheusRuntimeMetrics(registry),
    http: createPrometheusHttpMetrics(registry),
    measure(adapters, consumers) {
      const consumerOf = (group: string) => consumers.find((c) => c.group === group)?.consumer ?? group;
      return { ...adapters, store: instrumentedStore(adapters.store, registry), bus: instrumentedBus(adapters.bus, registry, consumerOf) };
    },
    watchRelay({ store, bus, consumers }) {
      const consumerLag = bus.consumerLag;
      return registerRelayGauges(registry, {
        backlog: scrapedSource('store_backlog', () => store.backlog(), { up, timeoutMs: SCRAPE_READ_TIMEOUT_MS }),
        consumerLag: consumerLag && scrapedSource('consumer_lag', () => consumerLag(consumers), { up, timeoutMs: SCRAPE_READ_TIMEOUT_MS }),
      });
    },
    watchSagas({ machines, readModels, store, now = Date.now }) {
      const states = async (): Promise<StateCount[]> => {
        const asOf = now();
        const perMachine = await Promise.all(
          Object.entries(readModels).map(async ([machine, readModel]) => {
            const finals = finalStatesOf(machines, machine);
            return (await readModel.statsByState())
              .filter((s) => !finals.has(s.state) && s.count > 0)
              .map((s) => ({ machine, state: s.state, count: s.count, oldestAgeSeconds: Math.max(0, asOf - Date.parse(s.oldestUpdatedAt)) / 1000 }));
          }),
        );
        return perMachine.flat();
      };
      const attention = async (): Promise<Record<string, number>> => {
        const [parked, backlog] = await Promise.all([
          Promise.all(Object.values(readModels).map((readModel) => readModel.search({ exists: 'attention', limit: 0 }))),
          store.backlog(),
        ]);
        return { COMPENSATION_PARKED: parked.reduce((sum, found) => sum + found.total, 0), POISON_MESSAGE: backlog.sagasWithDeadLetters };
      };
      registerSagaGauges(registry, {
        states: scrapedSource('read_model_states', states, { up, timeoutMs: SCRAPE_READ_TIMEOUT_MS }),
        attention: scrapedSource('attention', attention, { up, timeoutMs: SCRAPE_READ_TIMEOUT_MS }),
      });
    },
  };
}
