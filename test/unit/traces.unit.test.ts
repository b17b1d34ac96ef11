import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { capturingLogger } from '../support/capturingLogger.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, type PlaceOrderBody } from '../support/orderRequests.ts';
import { testClock } from '../support/testClock.ts';
import { startTestTracing } from '../support/testTracing.ts';
import { callerTraceparent, describeTrace, spansOfSaga, traceProblems, type TraceSpan } from '../support/traceSpans.ts';

const tracing = startTestTracing();
afterAll(() => tracing.stop());

async function postOrder(url: string, body: PlaceOrderBody, traceparent: string): Promise<string> {
  const response = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent }, body: JSON.stringify(body) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { orderId: string }).orderId;
}

/** The spans of one order once `done` says the trace is whole (its last projection ended). */
async function traceOf(orderId: string, done: (spans: TraceSpan[]) => boolean): Promise<TraceSpan[]> {
  return eventually(
    () => {
      const spans = spansOfSaga(tracing.spans(), orderId);
      if (!done(spans)) throw new Error(`the trace of ${orderId} is not whole yet:\n${describeTrace(spans)}`);
      return spans;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}

const named = (spans: readonly TraceSpan[], name: string) => spans.filter((span) => span.name === name);

describe('one order is one trace (embedded, in-memory exporter)', () => {
  let system: System;
  let url: string;
  const log = capturingLogger();
  beforeAll(async () => {
    system = await startEmbedded({}, { logger: log.logger });
    url = await system.listen(0);
  });
  afterAll(() => system.stop());

  it("continues the caller's traceparent through the api, every transition, each participant and the projector", { timeout: 60_000 }, async () => {
    const caller = callerTraceparent();
    const orderId = await postOrder(url, placeOrderBody(), caller.traceparent);
    const spans = await traceOf(orderId, (s) => s.some((span) => span.name === 'projector SagaViewUpdated' && span.attributes['xsaga.state.after'] === 'completed'));

    expect(traceProblems(spans, caller.traceId, caller.parentId), describeTrace(spans)).toEqual([]);
    const [api] = named(spans, 'POST /orders');
    expect(api?.parentSpanId).toBe(caller.parentId);
    expect(api?.attributes).toMatchObject({ 'http.route': '/orders', 'http.response.status_code': 202 });

    const transitions = named(spans, 'orderSaga transition');
    expect(transitions.map((t) => t.attributes['xsaga.event.type'])).toEqual(['OrderPlaced', 'PaymentCaptured', 'StockReserved', 'ShipmentCreated']);
    // Every log line about the saga names its trace: a log search leads to the spans.
    const sagaLines = log.lines.filter((line) => line.fields.sagaId === orderId);
    expect(sagaLines.map((line) => line.msg)).toEqual(['saga started', 'saga moved', 'saga moved', 'saga ended']);
    expect(sagaLines.map((line) => line.fields.traceId)).toEqual(sagaLines.map(() => caller.traceId));
    expect(transitions[0]!.parentSpanId).toBe(api!.spanId);
    expect(transitions.at(-1)!.attributes).toMatchObject({
      'xsaga.machine.id': 'orderSaga',
      'xsaga.machine.version': system.definition.version,
      'xsaga.state.after': 'completed',
      'xsaga.stream.version': 4,
    });
    expect(typeof transitions.at(-1)!.attributes['xsaga.state.before']).toBe('string');

    // Each participant's span is a child of the transition that commanded it, and the next transition a child of its reply.
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (const [name, next] of [['payment CapturePayment', 1], ['inventory ReserveStock', 2], ['shipping CreateShipment', 3]] as const) {
      const [participant] = named(spans, name);
      expect(byId.get(participant?.parentSpanId ?? '')?.name, name).toBe('orderSaga transition');
      expect(transitions[next]!.parentSpanId, `the transition after ${name}`).toBe(participant!.spanId);
    }
    for (const projection of named(spans, 'projector SagaViewUpdated')) expect(byId.get(projection.parentSpanId!)?.name).toBe('orderSaga transition');
  });

  it('starts a new trace when the caller sends a malformed traceparent, and still takes the order', { timeout: 60_000 }, async () => {
    const orderId = await postOrder(url, placeOrderBody(), '00-not-a-trace-01');
    const spans = await traceOf(orderId, (s) => s.some((span) => span.name === 'projector SagaViewUpdated' && span.attributes['xsaga.state.after'] === 'completed'));
    const [api] = named(spans, 'POST /orders');
    expect(api?.parentSpanId).toBeUndefined();
    expect(traceProblems(spans, api!.traceId, undefined), describeTrace(spans)).toEqual([]);
  });
});

describe('a payment deadline fired after a restart stays in the order trace', () => {
  it('carries the trace context on the timer row through a stop and a start on the same data', { timeout: 90_000 }, async () => {
    const data = await tempDataDir();
    const clock = testClock(Date.UTC(2026, 0, 1));
    const env = { XSAGA_DATA_DIR: data.dir, XSAGA_PAYMENT_TIMEOUT_MS: '60000' };
    try {
      const first = await startEmbedded(env, { clock });
      const caller = callerTraceparent();
      const orderId = await postOrder(await first.listen(0), placeOrderBody({ paymentToken: 'tok_no_answer' }), caller.traceparent);
      // The capture was handled (never answered): the saga waits for its deadline only.
      await traceOf(orderId, (s) => s.some((span) => span.name === 'payment CapturePayment'));
      await first.stop();

      const second = await startEmbedded(env, { clock });
      try {
        clock.advance(61_000);
        await second.scheduler.fireDue();
        const spans = await traceOf(orderId, (s) => s.some((span) => span.name === 'projector SagaViewUpdated' && span.attributes['xsaga.state.after'] === 'failed'));
        expect(traceProblems(spans, caller.traceId, caller.parentId), describeTrace(spans)).toEqual([]);
        const transitions = named(spans, 'orderSaga transition');
        const fired = transitions.find((t) => t.attributes['xsaga.message.type'] === 'TimerFired');
        expect(fired?.attributes['xsaga.event.type']).toMatch(/paymentTimeout/);
        // The deadline continues the transition that armed it: the saga's first, in the process that is gone.
        expect(fired?.parentSpanId).toBe(transitions[0]!.spanId);
        expect(named(spans, 'payment RefundPayment')).not.toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      await data.remove();
    }
  });
});
