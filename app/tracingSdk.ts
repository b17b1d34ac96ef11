import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** The SDK registered behind `@opentelemetry/api`; `stop` sends what is left and unregisters it. */
export type TracingSdk = Readonly<{ stop(): Promise<void> }>;

/**
 * Registers the OpenTelemetry SDK as the process's global tracer provider, with the W3C trace
 * context propagator (what `runtime/traceContext.ts` writes into messages) and an
 * AsyncLocalStorage context manager (the API's active span). Spans go to `exporter` in batches,
 * or one by one (`simple`, for tests that read them at once). This module is the only one that
 * loads the SDK, and it is loaded only when tracing is on.
 */
export function registerTracingSdk(options: {
  serviceName: string;
  exporter: SpanExporter;
  processing: 'batch' | 'simple';
  scheduledDelayMs?: number;
}): TracingSdk {
  const processor =
    options.processing === 'simple'
      ? new SimpleSpanProcessor({ exporter: options.exporter })
      : new BatchSpanProcessor({ exporter: options.exporter, scheduledDelayMillis: options.scheduledDelayMs });
  const provider = new TracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }), spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  // Each returns false when another SDK registered first: then ours would never see a span, so say so.
  const registered = [context.setGlobalContextManager(contextManager), propagation.setGlobalPropagator(new W3CTraceContextPropagator()), trace.setGlobalTracerProvider(provider)];
  if (registered.includes(false)) {
    void provider.shutdown();
    throw new Error('another OpenTelemetry SDK is registered in this process');
  }
  return {
    async stop() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
