import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { replyTo, type Message } from '../../runtime/message.ts';
import { apiKeysEnv, testApiKey, type TestApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { responseChecker, type ObservedResponse } from '../support/openApiResponses.ts';
import { contractCalls, type Call } from '../support/contractCalls.ts';
import { placeOrderBody } from '../support/orderRequests.ts';
import { placeStuckOrder, runTimers, SETTLE_MS, START, TEN_MINUTES, viewOf } from '../support/parkingScenario.ts';
import { readModelOutage } from '../support/readModelOutage.ts';
import { servedOperations } from '../support/servedRoutes.ts';
import { testClock } from '../support/testClock.ts';
import { FRAUD_TEST_MARKERS } from '../../participants/fraud.ts';

/**
 * The HTTP contract cannot drift from the code: the document served at /openapi.json is valid
 * OpenAPI 3.1, lists exactly the operations the app serves, and every real answer below (good
 * requests and bad ones, every route, every key) matches it: status, content type, body, headers.
 */

type Operation = Readonly<{ method: string; path: string; security?: readonly Record<string, readonly string[]>[] }>;
type Document = Readonly<{ paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'> & { operationId: string; responses: Record<string, object> }>> }>;

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
    { ...apiKeysEnv(viewer, operator), XSAGA_PAYMENT_TIMEOUT_MS: String(60 * TEN_MINUTES), XSAGA_PARK_AFTER_ATTEMPTS: '2', XSAGA_RETURN_APPROVAL_ABOVE: '0' },
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
  // An order above the fraud review's threshold (100.00 by default) whose score is doubtful: it waits for an operator.
  known.reviewing = (
    await system.orders.placeOrder(placeOrderBody({ customerId: `cust-${FRAUD_TEST_MARKERS.doubtful}`, items: [{ sku: 'SKU-1001', quantity: 1, unitPrice: 150_000 }] }))
  ).orderId;
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
    expect((await viewOf(system, known.reviewing!)).state).toBe('fraudReview.awaitingDecision');
  }, { timeoutMs: SETTLE_MS });
  // A return of the completed order whose parcel is awaited (every return waits for a decision: XSAGA_RETURN_APPROVAL_ABOVE=0).
  const returned = await fetch(`${url}/returns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId: known.completed, items: [{ sku: 'SKU-1001', quantity: 1 }], reason: 'too small' }),
  });
  known.awaitingParcel = ((await returned.json()) as { returnId: string }).returnId;
  const approved = await fetch(`${url}/returns/${encodeURIComponent(known.awaitingParcel)}/approve`, { method: 'POST', headers: operator.headers });
  expect(approved.status).toBe(202);
  await eventually(async () => expect((await system.runtime.loadStored(known.awaitingParcel!))?.snapshot.value).toBe('awaitingParcel'), { timeoutMs: SETTLE_MS });
  // Generous: the scenario drives five sagas on a test clock, on a machine busy with other test files.
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

describe('real answers match the document', { timeout: 120_000 }, () => {
  it('for good and bad requests of every operation', async () => {
    for (const call of contractCalls(known, viewer)) await expectAnswer(call);
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
