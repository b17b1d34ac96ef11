import { afterAll, describe, expect, it } from 'vitest';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { eventually } from '../support/eventually.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { placeOrderBody, type PlaceOrderBody } from '../support/orderRequests.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';
import { productionEnv } from '../support/productionEnv.ts';
import { callerTraceparent, describeTrace, spansOfSaga, traceProblems, type TraceSpan } from '../support/traceSpans.ts';

const PAYMENT_TIMEOUT_MS = 12_000;

describe('one order is one trace across the processes of production mode', () => {
  const processes: RunningProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('exports OTLP/JSON from api, relay, worker, participants and projector, and a worker killed mid-saga breaks no trace', { timeout: 300_000 }, async () => {
    const receiver: OtlpReceiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const production = await productionEnv('traces');
    cleanups.push(production.dispose);
    const env = {
      ...production.env,
      XSAGA_PARTITIONS: '2',
      XSAGA_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const start = async (role: string, extra: Record<string, string> = {}) => {
      const started = await startNodeProcess(['app/main.ts', role], { env: { ...env, ...extra }, ready: /xsaga ready/, timeoutMs: 90_000 });
      processes.push(started);
      return started;
    };
    const [api, , worker] = await Promise.all([
      start('api', { PORT: '0', ...apiKeysEnv(testApiKey('viewer')) }),
      start('relay'),
      start('worker'),
      start('participants'),
      start('projector'),
    ]);
    const url = api!.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)![1]!;
    const alive = () => {
      for (const p of processes) if (p !== worker && p.child.exitCode !== null) throw new Error(`a role exited:\n${p.output().slice(-2000)}`);
    };
    const place = async (body: PlaceOrderBody, traceparent: string) => {
      const response = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent }, body: JSON.stringify(body) });
      expect(response.status).toBe(202);
      return ((await response.json()) as { orderId: string }).orderId;
    };
    const traceOf = (orderId: string, done: (spans: TraceSpan[]) => boolean) =>
      eventually(
        () => {
          const spans = spansOfSaga(receiver.spans(), orderId);
          if (!done(spans)) throw new Error(`the trace of ${orderId} is not whole yet:\n${describeTrace(spans)}`);
          return spans;
        },
        { timeoutMs: 120_000, intervalMs: 200, failFast: alive },
      );
    // Each process exports on its own schedule: a trace is whole once its last view is projected and every span's parent has arrived too.
    const projected = (state: string, caller: { traceId: string; parentId: string }) => (spans: TraceSpan[]) =>
      spans.some((s) => s.name === 'projector SagaViewUpdated' && s.attributes['xsaga.state.after'] === state) && traceProblems(spans, caller.traceId, caller.parentId).length === 0;

    // An order that completes, its trace begun by the caller.
    const completing = callerTraceparent();
    const completed = await place(placeOrderBody(), completing.traceparent);
    // An order whose payment is never answered: its deadline fires after the worker was killed.
    const timingOut = callerTraceparent();
    const timedOut = await place(placeOrderBody({ paymentToken: 'tok_no_answer' }), timingOut.traceparent);

    const spans = await traceOf(completed, projected('completed', completing));
    expect(traceProblems(spans, completing.traceId, completing.parentId), describeTrace(spans)).toEqual([]);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['xsaga-api', 'xsaga-worker', 'xsaga-participants', 'xsaga-projector']));
    expect(spans.find((s) => s.name === 'POST /orders')?.parentSpanId).toBe(completing.parentId);
    expect(spans.filter((s) => s.name === 'orderSaga transition').map((s) => s.attributes['xsaga.event.type'])).toEqual(['OrderPlaced', 'PaymentCaptured', 'StockReserved', 'ShipmentCreated']);
    expect([...receiver.contentTypes()]).toEqual(['application/json']);

    // Its capture was handled and never answered: the saga waits for its deadline, and its worker dies.
    await traceOf(timedOut, (s) => s.some((span) => span.name === 'payment CapturePayment'));
    await worker!.stop('SIGKILL');
    await start('worker', { OTEL_SERVICE_NAME: 'xsaga-worker-restarted' });

    const afterCrash = await traceOf(timedOut, projected('failed', timingOut));
    expect(traceProblems(afterCrash, timingOut.traceId, timingOut.parentId), describeTrace(afterCrash)).toEqual([]);
    const fired = afterCrash.find((s) => s.attributes['xsaga.message.type'] === 'TimerFired');
    expect(fired?.service).toBe('xsaga-worker-restarted');
    // The deadline continues the saga's first transition, committed by the api before the crash.
    const first = afterCrash.find((s) => s.name === 'orderSaga transition' && s.attributes['xsaga.event.type'] === 'OrderPlaced');
    expect(first?.service).toBe('xsaga-api');
    expect(fired?.parentSpanId).toBe(first?.spanId);
    console.log(`traces e2e: a completed order, ${spans.length} spans:\n${describeTrace(spans)}\none whose deadline fired after a worker crash, ${afterCrash.length} spans:\n${describeTrace(afterCrash)}`);
  });
});
