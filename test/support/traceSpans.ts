import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** A finished span as the trace tests compare them, from an in-memory exporter or an OTLP/JSON request. */
export type TraceSpan = Readonly<{
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  service: string;
  attributes: Readonly<Record<string, unknown>>;
  /** Wall-clock start and end, in milliseconds since the epoch. */
  startMs: number;
  endMs: number;
}>;

const hrTimeMs = ([seconds, nanos]: readonly [number, number]) => seconds * 1000 + nanos / 1e6;
const unixNanoMs = (nanos: string | number) => Number(BigInt(nanos) / 1000n) / 1000;

export function fromReadableSpan(span: ReadableSpan): TraceSpan {
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    service: String(span.resource.attributes['service.name']),
    attributes: span.attributes,
    startMs: hrTimeMs(span.startTime),
    endMs: hrTimeMs(span.endTime),
  };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };
/** The JSON encoding of an OTLP `ExportTraceServiceRequest`, as far as the tests read it. */
export type OtlpTraceRequest = {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; startTimeUnixNano: string | number; endTimeUnixNano: string | number; attributes?: OtlpAttribute[] }[] }[];
  }[];
};

const valueOf = (value: OtlpValue): unknown => value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue));
const attributesOf = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]));

export function fromOtlpJson(request: OtlpTraceRequest): TraceSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        service,
        attributes: attributesOf(span.attributes),
        startMs: unixNanoMs(span.startTimeUnixNano),
        endMs: unixNanoMs(span.endTimeUnixNano),
      })),
    );
  });
}

/**
 * What keeps `spans` from being one connected trace that starts at the caller's span `rootParentId`
 * (undefined: the trace's own root) of trace `traceId`: a span of another trace, or a span whose
 * parent is neither in the trace nor that caller's span.
 */
export function traceProblems(spans: readonly TraceSpan[], traceId: string, rootParentId: string | undefined): string[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const problems: string[] = [];
  for (const span of spans) {
    if (span.traceId !== traceId) problems.push(`${span.service} "${span.name}" is in trace ${span.traceId}`);
    else if (span.parentSpanId !== rootParentId && !ids.has(span.parentSpanId ?? '')) {
      problems.push(`${span.service} "${span.name}" has parent ${span.parentSpanId ?? 'none'}, which is not in the trace`);
    }
  }
  return problems;
}

/** The spans of one saga (attribute `xsaga.saga.id`), and the API's span that started it. */
export const spansOfSaga = (spans: readonly TraceSpan[], sagaId: string): TraceSpan[] => spans.filter((span) => span.attributes['xsaga.saga.id'] === sagaId);

/** `name (service) ← parent name` lines, for a failure message or a report. */
export function describeTrace(spans: readonly TraceSpan[]): string {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  return spans
    .map((span) => `${span.name} [${span.service}] ← ${byId.get(span.parentSpanId ?? '')?.name ?? span.parentSpanId ?? 'root'}`)
    .join('\n');
}

/** A W3C traceparent of a caller's span, fresh for each test. */
export function callerTraceparent(): { traceparent: string; traceId: string; parentId: string } {
  const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  const traceId = hex(16);
  const parentId = hex(8);
  return { traceparent: `00-${traceId}-${parentId}-01`, traceId, parentId };
}
