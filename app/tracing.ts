import type { TracingConfig } from './tracingConfig.ts';

/** Tracing as a process runs it; `stop` sends the spans still buffered (call it after the roles stopped). */
export type Tracing = Readonly<{ stop(): Promise<void> }>;

const off: Tracing = { stop: async () => undefined };

/**
 * Starts OpenTelemetry tracing as configured. Off (the default), nothing is loaded: the code's
 * `@opentelemetry/api` calls stay no-ops, and messages carry no trace context. On, the SDK and the
 * OTLP/HTTP exporter are imported now, and spans are sent in batches to `config.endpoint`.
 */
export async function startTracing(config: TracingConfig): Promise<Tracing> {
  if (config.exporter === 'none') return off;
  const [{ OTLPTraceExporter }, { registerTracingSdk }] = await Promise.all([import('@opentelemetry/exporter-trace-otlp-http'), import('./tracingSdk.ts')]);
  return registerTracingSdk({
    serviceName: config.serviceName,
    exporter: new OTLPTraceExporter({ url: config.endpoint }),
    processing: 'batch',
    scheduledDelayMs: config.scheduledDelayMs,
  });
}
