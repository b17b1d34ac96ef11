import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { MetricsExposition } from '../../runtime/metricsExposition.ts';

/**
 * A registry of this process's own (never prom-client's global one, so that systems started side
 * by side in one process count apart), with an info series naming the mode and roles the process
 * runs, and with `processMetrics` Node's default metrics (CPU, memory, event loop lag, GC, handles):
 * those watch the whole process, once is enough.
 */
export function createMetricsRegistry(info: Readonly<{ mode: string; roles: readonly string[]; processMetrics: boolean }>): Registry {
  const registry = new Registry();
  if (info.processMetrics) collectDefaultMetrics({ register: registry });
  const processInfo = new Gauge({ name: 'xsaga_process_info', help: 'Always 1: the mode and roles of this process, as labels.', labelNames: ['mode', 'roles'], registers: [registry] });
  processInfo.set({ mode: info.mode, roles: info.roles.join(',') }, 1);
  return registry;
}

/** The registry in Prometheus's text format, for `GET /metrics`. */
export const expositionOf = (registry: Registry): MetricsExposition => ({
  contentType: registry.contentType,
  render: () => registry.metrics(),
});
