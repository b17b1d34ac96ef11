import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { createEmbeddedAdapters } from '../../app/embeddedAdapters.ts';
import { startSystem, type System } from '../../app/system.ts';
import type { OrderSearchResult } from '../../orders/orderReadModel.ts';
import type { OrderStatus, OrderView } from '../../orders/orderView.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, shippingAddress, uniqueCustomerId, type PlaceOrderBody } from '../support/orderRequests.ts';

type Problem = Readonly<{
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: readonly Readonly<{ field: string; detail: string }>[];
}>;

type Accepted = Readonly<{ orderId: string; version: number; status: string }>;

type History = Readonly<{
  orderId: string;
  events: readonly Readonly<{
    version: number;
    type: string;
    data: unknown;
    metadata: Readonly<{ messageId: string; correlationId: string; causationId: string; occurredAt: string }>;
  }>[];
}>;

type Stats = Readonly<{ byStatus: Record<OrderStatus, number>; byState: Record<string, number> }>;

/**
 * The payment deadline: the flaky payment's two retries must fit inside it with room on a machine
 * busy with other test files, and the unanswered payment waits it out.
 */
const PAYMENT_TIMEOUT_MS = 4_000;

/** Long enough for a saga (and the payment deadline) to settle on a slow machine; polling returns sooner. */
const SETTLE = { timeoutMs: PAYMENT_TIMEOUT_MS + 15_000, intervalMs: 20 } as const;

let system: System;
let baseUrl: string;
/** Searches, history and stats need a key (test/unit/access.unit.test.ts checks who may call what). */
const viewer = testApiKey('viewer');

beforeAll(async () => {
  const config = loadConfig({ XSAGA_DATA_DIR: ':memory:', XSAGA_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS), ...apiKeysEnv(viewer) });
  system = await startSystem({ config, adapters: await createEmbeddedAdapters(config), logger: silentLogger });
  baseUrl = await system.listen(0);
});

afterAll(async () => {
  await system?.stop();
});

// --- HTTP helpers -------------------------------------------------------------------------------

function postRaw(body: string, contentType: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/orders`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
}

function postOrder(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return postRaw(JSON.stringify(body), 'application/json', headers);
}

/** A GET with the viewer's key: open routes ignore it. */
const get = (path: string): Promise<Response> => fetch(`${baseUrl}${path}`, { headers: viewer.headers });

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await get(path);
  return { status: res.status, body: (await res.json()) as T };
}

async function placeOrder(body: PlaceOrderBody, headers: Record<string, string> = {}): Promise<Accepted> {
  const res = await postOrder(body, headers);
  expect(res.status).toBe(202);
  return (await res.json()) as Accepted;
}

/** Polls the order until its saga has finished, and returns the final view. */
function settledOrder(orderId: string): Promise<OrderView> {
  return eventually(async () => {
    const { status, body } = await getJson<OrderView>(`/orders/${orderId}`);
    expect(status).toBe(200);
    expect(body.status).not.toBe('PENDING');
    return body;
  }, SETTLE);
}

async function expectProblem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  const problem = (await res.json()) as Problem;
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(problem.title).not.toBe('');
  expect(problem.detail).not.toBe('');
  return problem;
}

const storedOrderCount = async (): Promise<number> => (await system.adapters.store.listStreams({ limit: 10_000 })).length;

/** Sends a request the API must refuse, and checks that no order was written on the way. */
async function rejectedWithoutWrites(send: () => Promise<Response>, status: number): Promise<Problem> {
  const before = await storedOrderCount();
  const problem = await expectProblem(await send(), status);
  expect(await storedOrderCount()).toBe(before);
  return problem;
}

const total = (body: PlaceOrderBody): number => body.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);

function without<T extends object>(value: T, key: keyof T): Partial<T> {
  const copy: Partial<T> = { ...value };
  delete copy[key];
  return copy;
}

// --- Scenarios ----------------------------------------------------------------------------------

type Scenario = Readonly<{
  name: string;
  body: () => PlaceOrderBody;
  status: OrderStatus;
  state: 'completed' | 'failed';
  failureReason: string | null;
  events: readonly string[];
}>;

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'a good order',
    body: () => placeOrderBody(),
    status: 'COMPLETED',
    state: 'completed',
    failureReason: null,
    events: ['OrderPlaced', 'PaymentCaptured', 'StockReserved', 'ShipmentCreated'],
  },
  {
    name: 'token tok_declined',
    body: () => placeOrderBody({ paymentToken: 'tok_declined' }),
    status: 'FAILED',
    state: 'failed',
    failureReason: 'PAYMENT_DECLINED',
    events: ['OrderPlaced', 'PaymentFailed'],
  },
  {
    name: 'token tok_no_answer',
    body: () => placeOrderBody({ paymentToken: 'tok_no_answer' }),
    status: 'FAILED',
    state: 'failed',
    failureReason: 'PAYMENT_TIMEOUT',
    events: ['OrderPlaced', 'TimerFired', 'PaymentRefunded'],
  },
  {
    name: 'token tok_flaky',
    body: () => placeOrderBody({ paymentToken: 'tok_flaky' }),
    status: 'COMPLETED',
    state: 'completed',
    failureReason: null,
    // Each transient failure waits for its backoff timer before the next attempt.
    events: ['OrderPlaced', 'PaymentFailed', 'TimerFired', 'PaymentFailed', 'TimerFired', 'PaymentCaptured', 'StockReserved', 'ShipmentCreated'],
  },
  {
    name: 'SKU-SOLDOUT',
    body: () => placeOrderBody({ items: [{ sku: 'SKU-SOLDOUT', quantity: 1, unitPrice: 100 }] }),
    status: 'FAILED',
    state: 'failed',
    failureReason: 'OUT_OF_STOCK',
    events: ['OrderPlaced', 'PaymentCaptured', 'StockReservationFailed', 'PaymentRefunded'],
  },
  {
    name: 'country ZZ',
    body: () => placeOrderBody({ shippingAddress: shippingAddress({ country: 'ZZ' }) }),
    status: 'FAILED',
    state: 'failed',
    failureReason: 'UNDELIVERABLE',
    events: ['OrderPlaced', 'PaymentCaptured', 'StockReserved', 'ShipmentFailed', 'StockReleased', 'PaymentRefunded'],
  },
];

/** Each scenario's order is placed once, by whichever test needs it first. */
const scenarioOrders = new Map<string, Promise<{ orderId: string; body: PlaceOrderBody }>>();
function scenarioOrder(scenario: Scenario): Promise<{ orderId: string; body: PlaceOrderBody }> {
  let placed = scenarioOrders.get(scenario.name);
  if (!placed) {
    const body = scenario.body();
    placed = placeOrder(body).then(({ orderId }) => ({ orderId, body }));
    scenarioOrders.set(scenario.name, placed);
  }
  return placed;
}

// --- Tests --------------------------------------------------------------------------------------

describe('POST /orders', () => {
  it('answers 202 with the order id, version 1, PENDING and a Location header', async () => {
    const res = await postOrder(placeOrderBody());
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    const body = (await res.json()) as Accepted;
    expect(body).toEqual({ orderId: expect.any(String), version: 1, status: 'PENDING' });
    expect(body.orderId).not.toBe('');
    expect(res.headers.get('location')).toBe(`/orders/${body.orderId}`);
  });

  it('serves the order right after it was accepted', async () => {
    const request = placeOrderBody();
    const { orderId } = await placeOrder(request);
    const { status, body } = await getJson<OrderView>(`/orders/${orderId}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ orderId, customerId: request.customerId, currency: 'EUR', total: total(request), items: request.items });
    expect(body.version).toBeGreaterThanOrEqual(1);
  });

  it('falls back to the event store while the read model lacks the order, with the same view', async () => {
    const { orderId } = await placeOrder(placeOrderBody());
    const projected = await settledOrder(orderId);
    // Simulates a projection that has not caught up: the read model does not know this order.
    const get = vi.spyOn(system.adapters.readModel, 'get').mockResolvedValueOnce(undefined);
    try {
      const { status, body } = await getJson<OrderView>(`/orders/${orderId}`);
      expect(get).toHaveBeenCalledWith(orderId);
      expect(status).toBe(200);
      expect(body).toEqual(projected);
    } finally {
      get.mockRestore();
    }
  });

  it('completes a good order with the total of its items', async () => {
    const request = placeOrderBody();
    const { orderId } = await placeOrder(request);
    const view = await settledOrder(orderId);
    expect(view).toMatchObject({
      orderId,
      customerId: request.customerId,
      status: 'COMPLETED',
      state: 'completed',
      failureReason: null,
      total: 2 * 1250 + 499,
      currency: 'EUR',
      items: request.items,
    });
    expect(view.version).toBeGreaterThan(1);
    expect(Number.isNaN(Date.parse(view.updatedAt))).toBe(false);
  });
});

describe('saga outcomes', () => {
  it.each(SCENARIOS)('$name ends $status with failureReason $failureReason', async (scenario) => {
    const { orderId, body } = await scenarioOrder(scenario);
    const view = await settledOrder(orderId);
    expect(view).toMatchObject({ orderId, status: scenario.status, state: scenario.state, failureReason: scenario.failureReason, total: total(body) });
  });
});

describe('GET /orders/:id/history', () => {
  it.each(SCENARIOS)('lists the events of $name in version order', async (scenario) => {
    const { orderId } = await scenarioOrder(scenario);
    await settledOrder(orderId);
    const { status, body } = await getJson<History>(`/orders/${orderId}/history`);
    expect(status).toBe(200);
    expect(body.orderId).toBe(orderId);
    expect(body.events.map((e) => e.type)).toEqual(scenario.events);
    expect(body.events.map((e) => e.version)).toEqual(scenario.events.map((_, i) => i + 1));
    for (const event of body.events) expect(event.metadata.correlationId).toBe(orderId);
    expect(body.events[0]!.data).toMatchObject({ order: { orderId } });
  });

  it.each(SCENARIOS)('masks the payment token of $name', async (scenario) => {
    const { orderId, body: placed } = await scenarioOrder(scenario);
    const text = await (await get(`/orders/${orderId}/history`)).text();
    expect(text).not.toContain(placed.paymentToken);
    const history = JSON.parse(text) as History;
    expect(history.events[0]!.data).toMatchObject({ order: { paymentToken: `${placed.paymentToken.slice(0, 4)}****` } });
  });

  it('answers 404 problem for an unknown order', async () => {
    const problem = await expectProblem(await get('/orders/no-such-order/history'), 404);
    expect(problem.detail).toContain('no-such-order');
  });
});

describe('GET /orders/:id', () => {
  it('answers 404 problem for an unknown order', async () => {
    const problem = await expectProblem(await fetch(`${baseUrl}/orders/no-such-order`), 404);
    expect(problem.detail).toContain('no-such-order');
  });
});

describe('GET /orders (search) and /stats/orders', () => {
  it('finds a customer’s orders, filtered by status and SKU', async () => {
    const customerId = uniqueCustomerId();
    const good = await placeOrder(placeOrderBody({ customerId, items: [{ sku: 'SKU-2001', quantity: 1, unitPrice: 100 }] }));
    const declined = await placeOrder(placeOrderBody({ customerId, paymentToken: 'tok_declined' }));
    await settledOrder(good.orderId);
    await settledOrder(declined.orderId);

    const all = await eventually(async () => {
      const found = await getJson<OrderSearchResult>(`/orders?customerId=${customerId}`);
      expect(found.status).toBe(200);
      expect(found.body.total).toBe(2);
      expect(found.body.items.every((o) => o.status !== 'PENDING')).toBe(true);
      return found.body;
    }, SETTLE);
    expect(all.items.map((o) => o.orderId).sort()).toEqual([good.orderId, declined.orderId].sort());
    expect(all.items.every((o) => o.customerId === customerId)).toBe(true);

    const failed = await getJson<OrderSearchResult>(`/orders?customerId=${customerId}&status=FAILED`);
    expect(failed.body.total).toBe(1);
    expect(failed.body.items.map((o) => o.orderId)).toEqual([declined.orderId]);

    const completed = await getJson<OrderSearchResult>(`/orders?customerId=${customerId}&status=COMPLETED`);
    expect(completed.body.total).toBe(1);
    expect(completed.body.items.map((o) => o.orderId)).toEqual([good.orderId]);

    const bySku = await getJson<OrderSearchResult>(`/orders?customerId=${customerId}&sku=SKU-2001`);
    expect(bySku.body.items.map((o) => o.orderId)).toEqual([good.orderId]);

    const byText = await getJson<OrderSearchResult>(`/orders?q=${customerId}&limit=1`);
    expect(byText.body.total).toBe(2);
    expect(byText.body.items).toHaveLength(1);
  });

  it.each(['BOGUS', 'completed'])('refuses status=%s with a 400 problem naming status', async (status) => {
    const problem = await expectProblem(await get(`/orders?status=${status}`), 400);
    expect(problem.errors?.map((e) => e.field)).toEqual(['status']);
  });

  // `Number()` reads all of these as whole numbers; a client writing them made a mistake.
  it.each(['ten', '1e1', '0x10', ' 5', '5.0', '-0', '501'])('refuses limit=%s with a 400 problem naming limit', async (limit) => {
    const problem = await expectProblem(await get(`/orders?limit=${encodeURIComponent(limit)}`), 400);
    expect(problem.errors?.map((e) => e.field)).toEqual(['limit']);
  });

  it('counts the orders by status and by state', async () => {
    const placed = await Promise.all([placeOrderBody(), placeOrderBody({ paymentToken: 'tok_declined' })].map((body) => placeOrder(body)));
    for (const { orderId } of placed) await settledOrder(orderId);

    await eventually(async () => {
      const stored = await storedOrderCount();
      const stats = await getJson<Stats>('/stats/orders');
      expect(stats.status).toBe(200);
      const countOf = async (status: OrderStatus) => (await getJson<OrderSearchResult>(`/orders?status=${status}&limit=0`)).body.total;
      expect(stats.body.byStatus).toEqual({ PENDING: await countOf('PENDING'), COMPLETED: await countOf('COMPLETED'), FAILED: await countOf('FAILED') });
      const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      expect(sum(stats.body.byStatus)).toBe(stored);
      expect(sum(stats.body.byState)).toBe(stored);
      expect(stats.body.byStatus.COMPLETED).toBeGreaterThanOrEqual(1);
      expect(stats.body.byStatus.FAILED).toBeGreaterThanOrEqual(1);
      expect(stats.body.byState['completed']).toBe(stats.body.byStatus.COMPLETED);
      expect(stats.body.byState['failed']).toBe(stats.body.byStatus.FAILED);
    }, SETTLE);
  });
});

describe('Idempotency-Key', () => {
  async function expectSingleOrderOf(customerId: string, orderId: string): Promise<void> {
    await settledOrder(orderId);
    await eventually(async () => {
      const found = await getJson<OrderSearchResult>(`/orders?customerId=${customerId}`);
      expect(found.body.total).toBe(1);
      expect(found.body.items[0]?.orderId).toBe(orderId);
    }, SETTLE);
  }

  it('answers a retry with the same key and body with the same order', async () => {
    const body = placeOrderBody();
    const headers = { 'Idempotency-Key': `key-${body.customerId}` };
    const before = await storedOrderCount();
    const first = await postOrder(body, headers);
    const second = await postOrder(body, headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const [a, b] = [(await first.json()) as Accepted, (await second.json()) as Accepted];
    expect(b).toEqual(a);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(await storedOrderCount()).toBe(before + 1);
    await expectSingleOrderOf(body.customerId, a.orderId);
  });

  it('answers concurrent requests with the same key and body with one order', async () => {
    const body = placeOrderBody();
    const headers = { 'Idempotency-Key': `key-${body.customerId}` };
    const before = await storedOrderCount();
    const responses = await Promise.all(Array.from({ length: 5 }, () => postOrder(body, headers)));
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as Accepted).orderId)));
    expect(ids.size).toBe(1);
    expect(await storedOrderCount()).toBe(before + 1);
    await expectSingleOrderOf(body.customerId, [...ids][0]!);
  });

  it('refuses the same key with a different body with a 422 problem', async () => {
    const body = placeOrderBody();
    const headers = { 'Idempotency-Key': `key-${body.customerId}` };
    const { orderId } = await placeOrder(body, headers);
    const problem = await rejectedWithoutWrites(() => postOrder({ ...body, currency: 'USD' }, headers), 422);
    expect(problem.errors?.map((e) => e.field)).toEqual(['Idempotency-Key']);
    await expectSingleOrderOf(body.customerId, orderId);
  });

  it('refuses a key longer than 200 characters with a 400 problem naming the header', async () => {
    const problem = await rejectedWithoutWrites(() => postOrder(placeOrderBody(), { 'Idempotency-Key': 'k'.repeat(201) }), 400);
    expect(problem.errors?.map((e) => e.field)).toEqual(['Idempotency-Key']);
  });
});

describe('POST /orders validation', () => {
  const valid = placeOrderBody;
  const item = { sku: 'SKU-1001', quantity: 1, unitPrice: 100 };
  const cases: readonly { fault: string; body: () => unknown; field: string }[] = [
    { fault: 'missing customerId', body: () => without(valid(), 'customerId'), field: 'customerId' },
    { fault: 'currency "eur"', body: () => ({ ...valid(), currency: 'eur' }), field: 'currency' },
    { fault: 'empty items', body: () => ({ ...valid(), items: [] }), field: 'items' },
    { fault: 'quantity 0', body: () => ({ ...valid(), items: [{ ...item, quantity: 0 }] }), field: 'items[0].quantity' },
    { fault: 'quantity 1.5', body: () => ({ ...valid(), items: [{ ...item, quantity: 1.5 }] }), field: 'items[0].quantity' },
    { fault: 'quantity "2"', body: () => ({ ...valid(), items: [{ ...item, quantity: '2' }] }), field: 'items[0].quantity' },
    { fault: 'negative unitPrice', body: () => ({ ...valid(), items: [{ ...item, unitPrice: -1 }] }), field: 'items[0].unitPrice' },
    {
      fault: 'missing shippingAddress.country',
      body: () => ({ ...valid(), shippingAddress: without(shippingAddress(), 'country') }),
      field: 'shippingAddress.country',
    },
    {
      fault: 'country "Germany"',
      body: () => ({ ...valid(), shippingAddress: shippingAddress({ country: 'Germany' }) }),
      field: 'shippingAddress.country',
    },
    // The event store cannot hold these: they were 500s before the text check refused them.
    { fault: 'a NUL in shippingAddress.name', body: () => ({ ...valid(), shippingAddress: shippingAddress({ name: 'Ada\u0000' }) }), field: 'shippingAddress.name' },
    { fault: 'an unpaired surrogate in shippingAddress.city', body: () => ({ ...valid(), shippingAddress: shippingAddress({ city: 'Berlin\ud800' }) }), field: 'shippingAddress.city' },
    { fault: 'a line break in shippingAddress.line1', body: () => ({ ...valid(), shippingAddress: shippingAddress({ line1: '1 Main St\r\nX' }) }), field: 'shippingAddress.line1' },
    { fault: 'an unknown top-level field', body: () => ({ ...valid(), coupon: 'FREE' }), field: 'coupon' },
    { fault: 'a body that is an array', body: () => [valid()], field: '' },
    { fault: 'a body that is a string', body: () => 'an order', field: '' },
  ];

  it.each(cases)('refuses $fault with a 400 problem naming "$field"', async ({ body, field }) => {
    const problem = await rejectedWithoutWrites(() => postOrder(body()), 400);
    expect(problem.errors?.map((e) => e.field)).toEqual([field]);
    expect(problem.errors?.[0]?.detail).toEqual(expect.any(String));
  });

  it('accepts right-to-left text, emoji and format characters in the address', async () => {
    const address = shippingAddress({ name: 'אדה \u200f👩🏽‍💻', line1: 'شارع ١', city: 'Zürich\u0301', postalCode: '\ufeff8001' });
    const res = await postOrder({ ...valid(), shippingAddress: address });
    expect(res.status).toBe(202);
  });

  it('refuses malformed JSON with a 400 problem', async () => {
    const problem = await rejectedWithoutWrites(() => postRaw('{"customerId": "c-1",', 'application/json'), 400);
    expect(problem.detail).toMatch(/JSON/);
  });

  // JSON.parse keeps the last of two equal keys, other parsers the first: such a body means two orders.
  it.each([
    { where: 'at the top', edit: (json: string) => `{"customerId":"cust-first",${json.slice(1)}`, field: 'customerId' },
    { where: 'in an item', edit: (json: string) => json.replace('"sku":"SKU-1002"', '"sku":"SKU-1002","sku":"SKU-1003"'), field: 'items[1].sku' },
    { where: 'spelled with an escape', edit: (json: string) => json.replace('"currency":"EUR"', '"currency":"EUR","\\u0063urrency":"USD"'), field: 'currency' },
  ])('refuses a key given twice $where with a 400 problem naming its path', async ({ edit, field }) => {
    const problem = await rejectedWithoutWrites(() => postRaw(edit(JSON.stringify(valid())), 'application/json'), 400);
    expect(problem.errors).toEqual([{ field, detail: 'is given more than once' }]);
  });

  it('lists the first 20 field errors of a body with hundreds, not all of them', async () => {
    const body = JSON.stringify({ ...valid(), items: Array.from({ length: 100 }, () => ({ a: 1, b: 2, c: 3, d: 4, e: 5 })) });
    const res = await postRaw(body, 'application/json');
    const text = await res.clone().text();
    const problem = await expectProblem(res, 400);
    expect(problem.errors).toHaveLength(20);
    expect(problem.errors?.[0]).toEqual({ field: 'items[0].a', detail: 'is not a known field' });
    expect(problem.detail).toMatch(/; and 780 more$/);
    // The answer was 70 kB, twenty times the request, before the list was cut.
    expect(text.length).toBeLessThan(body.length);
  });

  it('refuses a charset other than UTF-8 with a 415 problem', async () => {
    const body = Buffer.from(JSON.stringify(valid()), 'utf16le');
    const send = () => fetch(`${baseUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-16le' }, body });
    await rejectedWithoutWrites(send, 415);
  });

  it('refuses a body over 64kb with a 413 problem', async () => {
    const body = JSON.stringify({ ...valid(), customerId: 'x'.repeat(70 * 1024) });
    expect(Buffer.byteLength(body)).toBeGreaterThan(64 * 1024);
    await rejectedWithoutWrites(() => postRaw(body, 'application/json'), 413);
  });

  it('refuses a text/plain body with a 415 problem', async () => {
    await rejectedWithoutWrites(() => postRaw(JSON.stringify(valid()), 'text/plain'), 415);
  });
});

describe('other routes', () => {
  it('answers an unknown route with a 404 problem', async () => {
    const problem = await expectProblem(await fetch(`${baseUrl}/no/such/route`), 404);
    expect(problem.instance).toBe('/no/such/route');
  });

  it('answers an undecodable path parameter with a 400 problem, not 500', async () => {
    await expectProblem(await fetch(`${baseUrl}/orders/%E0%A4%A`), 400);
  });

  it.each(['/orders/a%00b', '/orders/a%00b/history', '/orders/%01?minVersion=1'])('answers %s, an id with a control character, with a 400 problem naming id, not 500', async (path) => {
    const problem = await expectProblem(await get(path), 400);
    expect(problem.errors?.map((e) => e.field)).toEqual(['id']);
  });

  it('reports health at /healthz', async () => {
    const { status, body } = await getJson<{ status: string }>('/healthz');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok' });
  });
});
