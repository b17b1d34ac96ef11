import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Message } from './message.ts';
import { contextOf, traceContextOfSpan, type TraceContext } from './traceContext.ts';

/** A span that handles a message, and its trace context for the messages that handling sends. */
export type MessageSpan = Readonly<{ span: Span; trace: TraceContext }>;

/**
 * Opens the span of a consumer handling `message`, a child of the span that sent it (its
 * metadata's trace context; none: a new trace). With tracing off it is a no-op span and its
 * trace context is empty.
 */
export function startMessageSpan(tracer: string, name: string, message: Message, attributes: Attributes): MessageSpan {
  const span = trace.getTracer(tracer).startSpan(
    name,
    { kind: SpanKind.CONSUMER, attributes: { 'xsaga.saga.id': message.metadata.correlationId, 'messaging.message.id': message.metadata.messageId, ...attributes } },
    contextOf(message.metadata),
  );
  return { span, trace: traceContextOfSpan(span) };
}

/** Ends spans: their work done, or with the error that kept it from being done. */
export function endSpans(spans: Iterable<Span>, error?: unknown): void {
  for (const span of spans) {
    if (error !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      if (error instanceof Error) span.recordException(error);
    }
    span.end();
  }
}
