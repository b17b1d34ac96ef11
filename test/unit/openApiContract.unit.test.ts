import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { replyTo, type Message } from '../../runtime/message.ts';
import { apiKeysEnv, testApiKey, type TestApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { responseChecker, type ObservedResponse } from '../support/openApiResponses.ts';
import { placeOrderBody, shippingAddress } from '../support/orderRequests.ts';
import { placeStuckOrder, runTimers, SETTLE_MS, START, TEN_MINUTES, viewOf } from '../support/parkingScenario.ts';
import { readModelOutage } from '../support/readModelOutage.ts';
import { servedOperations } from '../support/servedRoutes.ts';
import { testClock } from '../support/testClock.ts';

/**
 * The HTTP contract cannot drift from the code: the document served at /openapi.json is valid
 * OpenAPI 3.1, lists exactly the operations the app serves, and every real answer below (good
 * requests and bad ones, every route, every key) matches it: status, content type, body, headers.
 */

type Operation = Readonly<{ method: string; path: string; security?: readonly Record<string, readonly string[]>[] }>;
type Document = Readonly<{ paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'> & { operationId: string; responses: Record<string, object> }>> }>;

/** One request: an operation of the document, what fills its path, and what it sends. */
type Call = Readonly<{
  name: string;
  operationId: string;
  params?: Readonly<Record<string, string>>;
  /** As written after `?`: a name may come twice. */
  query?: string;
  headers?: Readonly<Record<string, string>>;
  /** JSON unless `raw`. */
  body?: unknown;
  raw?: Readonly<{ body: string; contentType: string }>;
  /** Who calls: by default a key of the role the operation needs, none for an open one. */
  as?: TestApiKey | 'nobody';
  status: number;
}>;

const viewer = testApiKey('viewer');
const operator = testApiKey('operator');

let system: System;
let url: string;
let document: Document;
let check: (response: ObservedResponse) => string[];
let outage: ReturnType<typeof readModelOutage>;
const operations = new Map<string, Operation>();
/** `operationId status` of every answer checked: what the suite covered. */
const answered = new Set<string>();
const known: Record<string, string> = {};

function roleOf(operation: Operation): TestApiKey | 'nobody' {
  const roles = operation.security?.flatMap((requirement) => Object.values(requirement).flat()) ?? [];
  return roles.includes('operator') ? operator : roles.includes('viewer') ? viewer : 'nobody';
}

async function send(call: Call): Promise<{ status: number; problems: string[]; body: string }> {
  const operation = operations.get(call.operationId);
  if (!operation) throw new Error(`no operation ${call.operationId} in the document`);
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = call.params?.[name];
    if (value === undefined) throw new Error(`${call.name}: no value for {${name}}`);
    return value;
  });
  const who = call.as ?? roleOf(operation);
  const headers: Record<string, string> = { ...(who === 'nobody' ? {} : who.headers), ...call.headers };
  let body: string | undefined;
  if (call.raw) {
    body = call.raw.body;
    headers['content-type'] = call.raw.contentType;
  } else if (call.body !== undefined) {
    body = JSON.stringify(call.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${url}${path}${call.query ? `?${call.query}` : ''}`, { method: operation.method, headers, body, redirect: 'manual' });
  const text = await response.text();
  answered.add(`${call.operationId} ${response.status}`);
  return { status: response.status, body: text, problems: check({ method: operation.method, path: operation.path, status: response.status, headers: response.headers, body: text }) };
}

async function expectAnswer(call: Call): Promise<string> {
  const { status, problems, body } = await send(call);
  expect(problems, `${call.name}: ${body.slice(0, 300)}`).toEqual([]);
  expect(status, `${call.name}: ${body.slice(0, 300)}`).toBe(call.status);
  return body;
}

beforeAll(async () => {
  const clock = testClock(START);
  system = await startEmbedded(
    { ...apiKeysEnv(viewer, operator), XSAGA_PAYMENT_TIMEOUT_MS: String(60 * TEN_MINUTES), XSAGA_PARK_AFTER_ATTEMPTS: '2' },
    {
      clock,
      wrap: (adapters) => {
        outage = readModelOutage(adapters.readModel);
        return { ...adapters, readModel: outage.readModel };
      },
    },
  );
  url = await system.listen(0);
  document = (await (await fetch(`${url}/openapi.json`)).json()) as Document;
  check = responseChecker(document);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) operations.set(operation.operationId, { method: method.toUpperCase(), path, security: operation.security });
  }

  // A parked saga: its compensation failed twice, the test clock moved on to each try.
  known.parked = await placeStuckOrder(system, START + TEN_MINUTES);
  await eventually(async () => expect((await viewOf(system, known.parked!)).state).toBe('compensating.releasingStock.backingOff'), { timeoutMs: SETTLE_MS });
  await runTimers(system, clock, known.parked, (view) => !view.state.endsWith('parked'), START + TEN_MINUTES);
  // A completed order; one backing off its compensation (the clock stays before its next try); one waiting for its payment.
  known.completed = (await system.orders.placeOrder(placeOrderBody())).orderId;
  known.backingOff = await placeStuckOrder(system, Math.ceil(clock.now() / 1000) * 1000 + TEN_MINUTES);
  known.waiting = (await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId;
  // A reply the saga cannot take (no data) makes a dead letter, and its order one that needs a human.
  known.poisoned = (await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId;
  const capture = await eventually(async () => {
    const { rows } = await system.adapters.sql.query<{ message: Message }>(`select message from xsaga_outbox where stream_id = $1 and message->>'type' = 'CapturePayment'`, [known.poisoned]);
    expect(rows).toHaveLength(1);
    return rows[0]!.message;
  }, { timeoutMs: SETTLE_MS });
  await system.adapters.bus.publish([{ topic: system.topics.sagaInbox, key: known.poisoned!, message: replyTo(capture, 'PaymentCaptured', null, new Date(START).toISOString()) }]);
  known.deadLetter = (await eventually(async () => {
    const [letter] = await system.adapters.store.deadLetters({ streamId: known.poisoned, limit: 1 });
    expect(letter).toBeDefined();
    return letter!;
  }, { timeoutMs: SETTLE_MS })).id;
  await eventually(async () => {
    expect((await viewOf(system, known.completed!)).status).toBe('COMPLETED');
    expect((await viewOf(system, known.backingOff!)).state).toBe('compensating.releasingStock.backingOff');
    expect((await viewOf(system, known.waiting!)).state).toBe('payment.capturing');
    expect((await viewOf(system, known.parked!)).state).toBe('compensating.releasingStock.parked');
  }, { timeoutMs: SETTLE_MS });
  // Generous: the scenario drives four sagas on a test clock, on a machine busy with other test files.
}, 240_000);

afterAll(async () => {
  const covered = [...answered].sort();
  console.log(`OpenAPI contract: ${operations.size} operations, ${covered.length} (operation, status) answers checked: ${covered.join(', ')}`);
  await system?.stop();
});

describe('the document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(validator.version).toBe('3.1');
  });

  it('lists exactly the operations the app serves', () => {
    const documented = [...operations.values()].map((operation) => `${operation.method} ${operation.path}`).sort();
    expect(documented).toEqual(servedOperations(system.httpApi()));
  });

  it('is served with the docs to browse it, without a key', async () => {
    const docs = await fetch(`${url}/docs/`);
    expect(docs.status).toBe(200);
    const page = await docs.text();
    // Everything the page loads comes from this server.
    expect(page).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });
});

const item = { sku: 'SKU-1001', quantity: 1, unitPrice: 100 };

/** Good and bad requests of every operation, in an order that leaves each saga in the state the next needs. */
const CALLS = (): readonly Call[] => [
  { name: 'place an order', operationId: 'placeOrder', body: placeOrderBody(), status: 202 },
  { name: 'place an order with an Idempotency-Key', operationId: 'placeOrder', headers: { 'Idempotency-Key': 'contract-key' }, body: placeOrderBody({ customerId: 'c-key' }), status: 202 },
  { name: 'the same key, another body', operationId: 'placeOrder', headers: { 'Idempotency-Key': 'contract-key' }, body: placeOrderBody({ customerId: 'c-other' }), status: 422 },
  { name: 'a key with a space', operationId: 'placeOrder', headers: { 'Idempotency-Key': 'a b' }, body: placeOrderBody(), status: 400 },
  { name: 'fields at fault', operationId: 'placeOrder', body: { ...placeOrderBody(), items: [{ ...item, quantity: 0, qty: 1 }], shippingAddress: shippingAddress({ country: 'Germany' }) }, status: 400 },
  { name: 'not JSON', operationId: 'placeOrder', raw: { body: '{"customerId":', contentType: 'application/json' }, status: 400 },
  { name: 'text/plain', operationId: 'placeOrder', raw: { body: JSON.stringify(placeOrderBody()), contentType: 'text/plain' }, status: 415 },
  { name: 'over 64 kB', operationId: 'placeOrder', body: { ...placeOrderBody(), customerId: 'x'.repeat(70_000) }, status: 413 },

  { name: 'read an order', operationId: 'getOrder', params: { id: known.completed! }, status: 200 },
  { name: 'read an order at a version it has', operationId: 'getOrder', params: { id: known.completed! }, query: 'minVersion=1', status: 200 },
  { name: 'a version past the order', operationId: 'getOrder', params: { id: known.completed! }, query: 'minVersion=99', status: 409 },
  { name: 'minVersion given twice', operationId: 'getOrder', params: { id: known.completed! }, query: 'minVersion=1&minVersion=2', status: 400 },
  { name: 'an id with a NUL', operationId: 'getOrder', params: { id: 'a%00b' }, status: 400 },
  { name: 'no such order', operationId: 'getOrder', params: { id: 'no-such-order' }, status: 404 },
  { name: 'search', operationId: 'searchOrders', query: 'status=COMPLETED&limit=5', status: 200 },
  { name: 'search by a status there is not', operationId: 'searchOrders', query: 'status=DONE&limit=1e1', status: 400 },
  { name: 'history', operationId: 'getOrderHistory', params: { id: known.completed! }, status: 200 },
  { name: 'history of no order', operationId: 'getOrderHistory', params: { id: 'no-such-order' }, status: 404 },
  { name: 'history of an id with a control character', operationId: 'getOrderHistory', params: { id: '%01' }, status: 400 },
  { name: 'stats', operationId: 'getOrderStats', status: 200 },

  { name: 'sagas that need a human', operationId: 'listSagas', query: 'attention=true', status: 200 },
  { name: 'sagas in a state', operationId: 'listSagas', query: 'machine=orderSaga&state=completed&limit=2', status: 200 },
  { name: 'sagas of no such machine', operationId: 'listSagas', query: 'machine=nope&attention=maybe', status: 400 },
  { name: 'retry a saga backing off', operationId: 'retrySaga', params: { id: known.backingOff! }, body: { reason: 'the warehouse is back' }, status: 202 },
  { name: 'retry a completed saga', operationId: 'retrySaga', params: { id: known.completed! }, body: {}, status: 409 },
  { name: 'retry with a version of nothing', operationId: 'retrySaga', params: { id: known.completed! }, body: { expectedVersion: 0 }, status: 400 },
  { name: 'retry no saga', operationId: 'retrySaga', params: { id: 'no-such-saga' }, status: 404 },
  { name: 'resume a parked saga', operationId: 'resumeSaga', params: { id: known.parked! }, body: { reason: 'try again', expectedVersion: 1 }, status: 409 },
  { name: 'resume a parked saga at its version', operationId: 'resumeSaga', params: { id: known.parked! }, body: { reason: 'try again' }, status: 202 },
  { name: 'resume a saga that is not parked', operationId: 'resumeSaga', params: { id: known.completed! }, status: 409 },
  { name: 'resume no saga', operationId: 'resumeSaga', params: { id: 'no-such-saga' }, status: 404 },
  { name: 'cancel without a reason', operationId: 'cancelSaga', params: { id: known.waiting! }, body: {}, status: 400 },
  { name: 'cancel a viewer may not', operationId: 'cancelSaga', params: { id: known.waiting! }, body: { reason: 'customer called' }, as: viewer, status: 403 },
  { name: 'cancel a saga waiting for its payment', operationId: 'cancelSaga', params: { id: known.waiting! }, body: { reason: 'customer called' }, status: 202 },
  { name: 'count a bulk retry', operationId: 'retrySagas', query: 'dryRun=true', body: { filter: { state: 'compensating.releasingStock.backingOff' } }, status: 200 },
  { name: 'a bulk retry of every saga', operationId: 'retrySagas', body: { reason: 'all' }, status: 400 },
  { name: 'resume the sagas that need a human', operationId: 'resumeSagas', body: { filter: { attention: true }, reason: 'fixed' }, status: 200 },
  { name: 'count a bulk cancel', operationId: 'cancelSagas', query: 'dryRun=yes', body: { filter: { state: 'payment.capturing' }, reason: 'x' }, status: 400 },
  { name: 'count a bulk cancel, with a good dryRun', operationId: 'cancelSagas', query: 'dryRun=true', body: { filter: { state: 'payment.capturing' }, reason: 'x' }, status: 200 },
  { name: 'dead letters', operationId: 'listDeadLetters', query: `streamId=${known.poisoned}&unreplayed=true`, status: 200 },
  { name: 'dead letters, none', operationId: 'listDeadLetters', query: 'limit=0', status: 400 },
  { name: 'replay a dead letter', operationId: 'replayDeadLetter', params: { id: encodeURIComponent(known.deadLetter!) }, status: 202 },
  { name: 'replay it again', operationId: 'replayDeadLetter', params: { id: encodeURIComponent(known.deadLetter!) }, status: 409 },
  { name: 'replay no dead letter', operationId: 'replayDeadLetter', params: { id: 'nope' }, status: 404 },

  { name: 'machines', operationId: 'listMachines', status: 200 },
  { name: 'a machine', operationId: 'getMachine', params: { id: 'orderSaga' }, status: 200 },
  { name: 'a machine at a version written as 1e0', operationId: 'getMachine', params: { id: 'orderSaga' }, query: 'version=1e0', status: 400 },
  { name: 'no such machine', operationId: 'getMachine', params: { id: 'nope' }, status: 404 },
  { name: 'a layout', operationId: 'getMachineLayout', params: { id: 'orderSaga' }, status: 200 },
  { name: 'a layout of a version there is not', operationId: 'getMachineLayout', params: { id: 'orderSaga' }, query: 'version=9', status: 404 },
  { name: 'machine stats', operationId: 'getMachineStats', params: { id: 'orderSaga' }, status: 200 },
  { name: 'machine stats, version given twice', operationId: 'getMachineStats', params: { id: 'orderSaga' }, query: 'version=1&version=1', status: 400 },
  { name: 'sagas of a machine', operationId: 'listMachineSagas', params: { id: 'orderSaga' }, query: 'state=completed&q=SKU', status: 200 },
  { name: 'sagas of a machine, a bad limit', operationId: 'listMachineSagas', params: { id: 'orderSaga' }, query: 'limit=-1', status: 400 },
  { name: 'a saga’s path', operationId: 'traceSaga', params: { id: 'orderSaga', sagaId: known.completed! }, status: 200 },
  { name: 'a path of no saga', operationId: 'traceSaga', params: { id: 'orderSaga', sagaId: 'nope' }, status: 404 },
  { name: 'a path of an id with a NUL', operationId: 'traceSaga', params: { id: 'orderSaga', sagaId: '%00' }, status: 400 },

  { name: 'liveness', operationId: 'getLiveness', status: 200 },
  { name: 'readiness', operationId: 'getReadiness', status: 200 },
  { name: 'the root', operationId: 'redirectToDashboard', status: 302 },
  { name: 'the dashboard', operationId: 'getDashboard', status: 200 },
  { name: 'a script of the dashboard', operationId: 'getDashboardFile', params: { file: 'dashboard.js' }, status: 200 },
  { name: 'a style of the dashboard', operationId: 'getDashboardFile', params: { file: 'dashboard.css' }, status: 200 },
  { name: 'no such file of the dashboard', operationId: 'getDashboardFile', params: { file: 'nope.js' }, status: 404 },
  { name: 'the document', operationId: 'getOpenApiDocument', status: 200 },
  { name: 'the docs', operationId: 'getDocs', status: 200 },
  { name: 'Swagger UI', operationId: 'getDocsFile', params: { file: 'swagger-ui-bundle.js' }, status: 200 },
  { name: 'Swagger UI’s style', operationId: 'getDocsFile', params: { file: 'swagger-ui.css' }, status: 200 },
  { name: 'the docs’ icon', operationId: 'getDocsFile', params: { file: 'favicon-32x32.png' }, status: 200 },
  { name: 'the docs’ start', operationId: 'getDocsFile', params: { file: 'docsPage.js' }, status: 200 },
  { name: 'Swagger UI’s own initializer, which points at the internet', operationId: 'getDocsFile', params: { file: 'swagger-initializer.js' }, status: 404 },
];

describe('real answers match the document', { timeout: 120_000 }, () => {
  it('for good and bad requests of every operation', async () => {
    for (const call of CALLS()) await expectAnswer(call);
    const served = new Set([...answered].filter((answer) => /^\S+ [23]/.test(answer)).map((answer) => answer.split(' ')[0]));
    expect([...operations.keys()].filter((id) => !served.has(id))).toEqual([]);
  });

  it('for a request without a key, or with a viewer key where an operator key is needed, on every guarded operation', async () => {
    for (const [operationId, operation] of operations) {
      const needed = roleOf(operation);
      if (needed === 'nobody') continue;
      const params = Object.fromEntries([...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => [match[1]!, 'x']));
      const call = { operationId, params, body: operation.method === 'POST' ? {} : undefined };
      await expectAnswer({ ...call, name: `${operationId} without a key`, as: 'nobody', status: 401 });
      await expectAnswer({ ...call, name: `${operationId} with a key nobody configured`, as: testApiKey('operator'), status: 401 });
      if (needed === operator) await expectAnswer({ ...call, name: `${operationId} with a viewer key`, as: viewer, status: 403 });
    }
  });

  it('while the read model is down: 503 with Retry-After where only it can answer', async () => {
    outage.begin('refuse');
    try {
      for (const call of [
        { operationId: 'searchOrders' },
        { operationId: 'getOrderStats' },
        { operationId: 'listSagas' },
        { operationId: 'getMachineStats', params: { id: 'orderSaga' } },
        { operationId: 'listMachineSagas', params: { id: 'orderSaga' } },
        { operationId: 'getReadiness' },
      ]) {
        await expectAnswer({ ...call, name: `${call.operationId} while the read model is down`, status: 503 });
      }
      // Read from the event store instead, in the same shape.
      await expectAnswer({ name: 'read an order while the read model is down', operationId: 'getOrder', params: { id: known.completed! }, status: 200 });
    } finally {
      outage.end();
    }
  });
});
