import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import type { System } from '../../app/system.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, shippingAddress } from '../support/orderRequests.ts';
import { hasSample, metricTypes, parsePrometheusText, valueOf, type Sample } from '../support/prometheusText.ts';
import { ORDER_SAGA_V2_VERSION } from '../../machines/orderSagaV2.ts';

/** One order of every slot of the demo's mix: 80 complete, the rest fail at each step (docs: app/orderMix.ts). */
const ORDERS = 100;
// Every order here starts on the newest version of the order saga.
const MACHINE = { machine: 'orderSaga', version: String(ORDER_SAGA_V2_VERSION) };

describe('GET /metrics after a known set of orders, on the embedded default', () => {
  const viewer = testApiKey('viewer');
  let system: System;
  let url: string;
  let views: OrderView[];
  let parkedId: string;
  let samples: Sample[];
  let text: string;

  const scrape = async (): Promise<Sample[]> => {
    const response = await fetch(`${url}/metrics`, { headers: viewer.headers });
    expect(response.status).toBe(200);
    text = await response.text();
    return parsePrometheusText(text);
  };

  beforeAll(async () => {
    system = await startEmbedded(
      {
        ...apiKeysEnv(viewer),
        // Waits short enough for a unit test (a flaky payment retries within 20-100 ms); a deadline long enough for a busy machine.
        XSAGA_PAYMENT_TIMEOUT_MS: '10000',
        XSAGA_RETRY_BASE_MS: '20',
        XSAGA_RETRY_MAX_MS: '100',
        XSAGA_PARK_AFTER_ATTEMPTS: '2',
      },
      { processMetrics: true },
    );
    url = await system.listen(0);
    const place = async (body: unknown) => {
      const response = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(202);
      return ((await response.json()) as { orderId: string }).orderId;
    };
    const ids = await Promise.all(Array.from({ length: ORDERS }, (_, i) => place(orderRequestFor(i, scenarioFor(i)))));
    // A release the warehouse refuses until 2100: its compensation parks for a person.
    parkedId = await place(placeOrderBody({ items: [{ sku: 'SKU-STUCK-4102444800', quantity: 1, unitPrice: 1000 }], shippingAddress: shippingAddress({ country: 'ZZ' }) }));
    views = await eventually(
      async () => {
        const read = await Promise.all([...ids, parkedId].map(async (id) => (await (await fetch(`${url}/orders/${id}`)).json()) as OrderView));
        expect(read.filter((v) => v.status === 'PENDING').map((v) => v.orderId)).toEqual([parkedId]);
        expect(read.find((v) => v.orderId === parkedId)!.state).toBe('compensating.releasingStock.parked');
        return read;
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    );
    // The last commits are published and the read model has every view: scrape once nothing moves.
    await system.relay.idle();
    samples = await eventually(
      async () => {
        const scraped = await scrape();
        expect(valueOf(scraped, 'xsaga_outbox_unpublished')).toBe(0);
        expect(valueOf(scraped, 'xsaga_consumer_lag')).toBe(0);
        expect(valueOf(scraped, 'xsaga_sagas_in_flight')).toBe(1);
        return scraped;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // Roomy: on a machine shared with other suites, starting PGlite alone has taken 30 s.
  }, 360_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('counts the sagas started, completed and failed by reason as the orders ended', () => {
    const finished = views.filter((v) => v.status !== 'PENDING');
    const completed = finished.filter((v) => v.status === 'COMPLETED').length;
    const failedByReason = new Map<string, number>();
    for (const view of finished.filter((v) => v.status === 'FAILED')) failedByReason.set(view.failureReason!, (failedByReason.get(view.failureReason!) ?? 0) + 1);
    // The mix fails at every step: declined, no answer, sold out, undeliverable.
    expect([...failedByReason.keys()].sort()).toEqual(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT', 'UNDELIVERABLE']);
    expect(completed).toBeGreaterThanOrEqual(80);

    expect(valueOf(samples, 'xsaga_sagas_started_total', MACHINE)).toBe(ORDERS + 1);
    expect(valueOf(samples, 'xsaga_sagas_completed_total', MACHINE)).toBe(completed);
    for (const [reason, count] of failedByReason) expect(valueOf(samples, 'xsaga_sagas_failed_total', { ...MACHINE, reason }), reason).toBe(count);
    expect(valueOf(samples, 'xsaga_sagas_failed_total')).toBe(finished.length - completed);
  });

  it('observes a duration for every saga that ended, and a dwell time for every time a saga left a state', () => {
    const completed = views.filter((v) => v.status === 'COMPLETED').length;
    const failed = views.filter((v) => v.status === 'FAILED').length;
    expect(valueOf(samples, 'xsaga_saga_duration_seconds_count', { ...MACHINE, outcome: 'completed' })).toBe(completed);
    expect(valueOf(samples, 'xsaga_saga_duration_seconds_count', { ...MACHINE, outcome: 'failed' })).toBe(failed);
    // A saga that never got a payment answer waited out the whole deadline.
    expect(valueOf(samples, 'xsaga_saga_duration_seconds_bucket', { outcome: 'failed', le: '2.5' })).toBeLessThan(failed);
    // Every capture attempt entered payment.capturing, and every order has left it.
    const captures = views.reduce((sum, v) => sum + v.attempts.capture, 0);
    expect(captures).toBeGreaterThan(ORDERS + 1);
    expect(valueOf(samples, 'xsaga_saga_state_dwell_seconds_count', { machine: 'orderSaga', state: 'payment.capturing' })).toBe(captures);
    // Every order reached inventory.reserving but the ones whose payment failed.
    const reserves = views.reduce((sum, v) => sum + v.attempts.reserve, 0);
    expect(valueOf(samples, 'xsaga_saga_state_dwell_seconds_count', { machine: 'orderSaga', state: 'inventory.reserving' })).toBe(reserves);
  });

  it('keeps every histogram whole: its count is its +Inf bucket, its buckets never decrease', () => {
    const types = metricTypes(text);
    const histograms = [...types].filter(([, type]) => type === 'histogram').map(([name]) => name);
    expect(histograms).toEqual(expect.arrayContaining(['xsaga_saga_duration_seconds', 'xsaga_batch_size', 'xsaga_store_commit_duration_seconds', 'xsaga_http_request_duration_seconds']));
    for (const name of histograms) {
      for (const count of samples.filter((s) => s.name === `${name}_count`)) {
        const buckets = samples
          .filter((s) => s.name === `${name}_bucket` && Object.entries(count.labels).every(([key, value]) => s.labels[key] === value))
          .map((s) => ({ le: Number(s.labels.le === '+Inf' ? Infinity : s.labels.le), value: s.value }))
          .sort((a, b) => a.le - b.le);
        expect(buckets.at(-1), `${name} ${JSON.stringify(count.labels)}`).toEqual({ le: Infinity, value: count.value });
        for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      }
    }
  });

  it('counts what the participants performed: one shipment per completed order, one decline per declined order', () => {
    const count = (status: string, reason?: string) => views.filter((v) => v.status === status && (reason === undefined || v.failureReason === reason)).length;
    expect(valueOf(samples, 'xsaga_participant_commands_total', { participant: 'shipping', command: 'CreateShipment', outcome: 'performed', reply: 'ShipmentCreated' })).toBe(count('COMPLETED'));
    expect(valueOf(samples, 'xsaga_participant_commands_total', { participant: 'payment', command: 'CapturePayment', outcome: 'performed', reply: 'PaymentFailed' })).toBe(
      count('FAILED', 'PAYMENT_DECLINED'),
    );
    expect(valueOf(samples, 'xsaga_participant_commands_total', { participant: 'payment', command: 'CapturePayment', outcome: 'silent' })).toBe(count('FAILED', 'PAYMENT_TIMEOUT'));
    // Flaky payments failed transiently twice each before they were captured.
    expect(valueOf(samples, 'xsaga_participant_commands_total', { participant: 'payment', outcome: 'transient' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'xsaga_participant_commands_total', { outcome: 'dead_lettered' })).toBe(0);
  });

  it('reports the parked saga as needing attention and in flight in its state, and nothing else in flight', () => {
    expect(valueOf(samples, 'xsaga_sagas_needing_attention', { reason: 'COMPENSATION_PARKED' })).toBe(1);
    expect(valueOf(samples, 'xsaga_sagas_needing_attention', { reason: 'POISON_MESSAGE' })).toBe(0);
    expect(samples.filter((s) => s.name === 'xsaga_sagas_in_flight').map((s) => [s.labels.state, s.value])).toEqual([['compensating.releasingStock.parked', 1]]);
    expect(valueOf(samples, 'xsaga_saga_state_oldest_age_seconds', { state: 'compensating.releasingStock.parked' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'xsaga_metrics_source_up')).toBe(samples.filter((s) => s.name === 'xsaga_metrics_source_up').length);
  });

  it('reports the relay leader\'s backlog: timers armed and fired, none overdue, every group caught up', () => {
    expect(valueOf(samples, 'xsaga_relay_leader')).toBe(1);
    const fired = valueOf(samples, 'xsaga_timers_fired_total');
    // The payment that never answered waited for its deadline; every retry waited on a backoff timer.
    expect(fired).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'xsaga_timers_armed_total')).toBeGreaterThan(fired);
    expect(valueOf(samples, 'xsaga_timers_pending')).toBe(0);
    expect(valueOf(samples, 'xsaga_timers_overdue')).toBe(0);
    expect(valueOf(samples, 'xsaga_outbox_published_total', { path: 'writer' })).toBeGreaterThan(ORDERS * 4);
    // 8 partitions of each topic a group reads; the projector reads the facts of both hosted sagas.
    for (const group of ['xsaga.saga-worker', 'xsaga.projector', 'xsaga.participant.payment', 'xsaga.participant.inventory', 'xsaga.participant.shipping']) {
      expect(samples.filter((s) => s.name === 'xsaga_consumer_lag' && s.labels.group === group), group).toHaveLength(group === 'xsaga.projector' ? 16 : 8);
    }
    expect(valueOf(samples, 'xsaga_batch_size_sum', { consumer: 'saga-worker' })).toBeGreaterThan(ORDERS);
    expect(valueOf(samples, 'xsaga_store_commit_duration_seconds_count')).toBeGreaterThan(0);
    expect(valueOf(samples, 'xsaga_actor_cache_lookups_total', { result: 'hit' })).toBeGreaterThan(ORDERS);
    expect(hasSample(samples, 'xsaga_process_info', { mode: 'embedded', roles: 'api,worker,participants,projector,relay' })).toBe(true);
    expect(hasSample(samples, 'process_cpu_seconds_total')).toBe(true);
  });

  it('counts HTTP requests by route pattern and status, and guards /metrics with a viewer key', async () => {
    const before = await scrape();
    expect(valueOf(before, 'xsaga_http_requests_total', { method: 'POST', route: '/orders', status: '202' })).toBe(ORDERS + 1);
    expect(valueOf(before, 'xsaga_http_requests_total', { method: 'GET', route: '/orders/:id', status: '200' })).toBeGreaterThanOrEqual(ORDERS + 1);
    // No raw path (an order id) ever becomes a label.
    expect(before.filter((s) => s.name === 'xsaga_http_requests_total' && /[0-9a-f]{8}-/.test(s.labels.route!))).toEqual([]);

    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/no-such-route`)).status).toBe(404);
    expect((await fetch(`${url}/admin/sagas`)).status).toBe(401);
    const after = await scrape();
    const delta = (labels: Record<string, string>) => valueOf(after, 'xsaga_http_requests_total', labels) - valueOf(before, 'xsaga_http_requests_total', labels);
    expect(delta({ method: 'GET', route: '/metrics', status: '401' })).toBe(1);
    expect(delta({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta({ method: 'GET', route: '/admin/*', status: '401' })).toBe(1);
    // The scrape before this one was answered and counted too.
    expect(delta({ method: 'GET', route: '/metrics', status: '200' })).toBe(1);
  });

  it('serves the same metrics without a key on the metrics listener, and nothing else there', async () => {
    const metricsUrl = await system.listenMetrics(0, '127.0.0.1');
    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const listened = parsePrometheusText(await response.text());
    expect(valueOf(listened, 'xsaga_sagas_started_total')).toBe(ORDERS + 1);
    expect((await fetch(`${metricsUrl}/orders`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
