import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

/** The instrumentation scope of the API's spans. */
export const API_TRACER = 'xsaga.api';

/**
 * Opens a server span for the rest of the request and makes it the active context of the handlers
 * after it. Its parent is the caller's `traceparent` header when it is well-formed; a malformed or
 * missing one starts a new trace (the propagator ignores it), it never fails the request.
 *
 * @example router.post('/orders', serverSpan('/orders'), placeOrder)
 */
export function serverSpan(route: string): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = trace
      .getTracer(API_TRACER)
      .startSpan(`${req.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route } }, parent);
    // 'close' comes whether the answer was sent or the client went away.
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
