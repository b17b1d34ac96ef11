import type { Registry } from 'prom-client';

/** What the saga counters of one process say: sagas started, completed, and failed by reason. */
export type SagaCounters = Readonly<{ started: number; completed: number; failedByReason: Readonly<Record<string, number>> }>;

async function samplesOf(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as { labels: Record<string, string | number>; value: number }[]) : [];
}

/** The saga counters of `registry` for one machine, summed over its versions: what the demo compares with the event store. */
export async function sagaCounters(registry: Registry, machine: string): Promise<SagaCounters> {
  const of = async (name: string) => (await samplesOf(registry, name)).filter((sample) => sample.labels.machine === machine);
  const sum = (samples: readonly { value: number }[]) => samples.reduce((total, sample) => total + sample.value, 0);
  const failedByReason: Record<string, number> = {};
  for (const { labels, value } of await of('xsaga_sagas_failed_total')) failedByReason[String(labels.reason)] = (failedByReason[String(labels.reason)] ?? 0) + value;
  return {
    started: sum(await of('xsaga_sagas_started_total')),
    completed: sum(await of('xsaga_sagas_completed_total')),
    failedByReason,
  };
}
