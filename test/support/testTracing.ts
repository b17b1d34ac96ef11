import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { registerTracingSdk } from '../../app/tracingSdk.ts';
import { fromReadableSpan, type TraceSpan } from './traceSpans.ts';

/**
 * The SDK of `app/` registered in this process with an in-memory exporter: every span is there as
 * soon as it ends. `stop` unregisters it (the process's globals are its own: vitest isolates files).
 */
export function startTestTracing(serviceName = 'xsaga-test'): { spans(): TraceSpan[]; stop(): Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const sdk = registerTracingSdk({ serviceName, exporter, processing: 'simple' });
  return { spans: () => exporter.getFinishedSpans().map(fromReadableSpan), stop: () => sdk.stop() };
}
