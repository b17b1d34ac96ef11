import { propagation, ROOT_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';

/**
 * A W3C trace context as a message carries it in its metadata (and the Kafka bus in its headers):
 * the `traceparent` and `tracestate` header values. Empty when tracing is off: the propagator the
 * SDK registers writes them, the no-op one of `@opentelemetry/api` writes nothing.
 */
export type TraceContext = Readonly<{ traceparent?: string; tracestate?: string }>;

/** W3C Trace Context level 1: version, trace id, parent id, flags; lower-case hex, ids not all zero. */
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** At most 512 printable ASCII characters (the limit the W3C recommendation sets for propagation). */
const TRACESTATE = /^[\x20-\x7e]{0,512}$/;

export const isTraceparent = (value: unknown): value is string => typeof value === 'string' && TRACEPARENT.test(value);
export const isTracestate = (value: unknown): value is string => typeof value === 'string' && TRACESTATE.test(value);

/** What is wrong with the trace fields of `metadata`, or undefined: absent, or well-formed. */
export function traceContextProblem(metadata: Readonly<Record<string, unknown>>): string | undefined {
  if (metadata.traceparent !== undefined && !isTraceparent(metadata.traceparent)) return 'metadata.traceparent must be a W3C traceparent';
  if (metadata.tracestate !== undefined && !isTracestate(metadata.tracestate)) return 'metadata.tracestate must be at most 512 printable ASCII characters';
  if (metadata.tracestate !== undefined && metadata.traceparent === undefined) return 'metadata.tracestate needs a traceparent';
  return undefined;
}

/** The well-formed trace context among `fields`: a malformed traceparent drops both, a malformed tracestate itself. */
export function wellFormedTraceContext(fields: Readonly<{ traceparent?: unknown; tracestate?: unknown }>): TraceContext {
  if (!isTraceparent(fields.traceparent)) return {};
  return isTracestate(fields.tracestate) ? { traceparent: fields.traceparent, tracestate: fields.tracestate } : { traceparent: fields.traceparent };
}

/** The trace context of `ctx` (its active span) as message fields; empty when tracing is off or no span is there. */
export function traceContextOf(ctx: Context): TraceContext {
  const carrier: { traceparent?: string; tracestate?: string } = {};
  propagation.inject(ctx, carrier);
  return wellFormedTraceContext(carrier);
}

/** The trace context that makes `span` the parent of what a message carrying it causes. */
export const traceContextOfSpan = (span: Span): TraceContext => traceContextOf(trace.setSpan(ROOT_CONTEXT, span));

/** The context a message's handling continues: its stored trace context, or none (a new trace). */
export function contextOf(metadata: TraceContext): Context {
  if (metadata.traceparent === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, wellFormedTraceContext(metadata));
}
