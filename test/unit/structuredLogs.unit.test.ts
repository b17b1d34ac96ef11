import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../app/createLogger.ts';
import type { System } from '../../app/system.ts';
import { createMessage } from '../../runtime/message.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody } from '../support/orderRequests.ts';

type Line = Readonly<Record<string, unknown> & { level: string; time: string; msg: string }>;

/** pino's destination: every line written, as text. */
function linesWritten() {
  const texts: string[] = [];
  return { texts, destination: { write: (chunk: string) => void texts.push(...chunk.split('\n').filter(Boolean)) } };
}

const SAGA_LINES = ['saga started', 'saga moved', 'saga ended'];

describe('the log of a running system', () => {
  const viewer = testApiKey('viewer');
  const operator = testApiKey('operator');
  // Strings no test data holds by accident, so that finding one in a line is a leak.
  const token = `tok_${randomBytes(12).toString('hex')}`;
  const { texts, destination } = linesWritten();
  let system: System;
  let url: string;
  let orderId: string;
  let lines: Line[];

  beforeAll(async () => {
    const logger = createLogger({ level: 'debug', destination, pretty: false, bindings: { roles: 'all' } });
    system = await startEmbedded({ ...apiKeysEnv(viewer, operator), XSAGA_PAYMENT_TIMEOUT_MS: '2000' }, { logger });
    url = await system.listen(0);
    const headers = { 'content-type': 'application/json', ...operator.headers };

    // A real order, its token in the body, a key in the header.
    const placed = await fetch(`${url}/orders`, { method: 'POST', headers, body: JSON.stringify(placeOrderBody({ paymentToken: token })) });
    expect(placed.status).toBe(202);
    orderId = ((await placed.json()) as { orderId: string }).orderId;
    await eventually(async () => expect((await system.adapters.readModel.get(orderId))?.status).toBe('COMPLETED'), { timeoutMs: 15_000 });

    // Error paths: a reply nobody asked for and a command of the wrong shape, both carrying the token, are dead-lettered...
    const occurredAt = new Date().toISOString();
    const poison = (type: string, data: unknown) => createMessage(type, data, { messageId: randomUUID(), correlationId: orderId, occurredAt });
    await system.adapters.bus.publish([
      { topic: system.topics.sagaInbox, key: orderId, message: poison('PaymentCaptured', { amount: 1, paymentToken: token }) },
      { topic: system.topics.paymentCommands, key: orderId, message: poison('CapturePayment', { orderId, amount: 'all of it', paymentToken: token }) },
    ]);
    await eventually(async () => expect(await system.adapters.store.deadLetters({ streamId: orderId, limit: 10 })).toHaveLength(2), { timeoutMs: 15_000 });
    // ...a request that fails inside with a key on it answers 500, and one with the token in a body that is no JSON 400.
    const failing = vi.spyOn(system.adapters.readModel, 'countByStatus').mockRejectedValue(new Error('read model down'));
    try {
      expect((await fetch(`${url}/stats/orders`, { headers: viewer.headers })).status).toBe(500);
    } finally {
      failing.mockRestore();
    }
    expect((await fetch(`${url}/orders`, { method: 'POST', headers, body: `{"paymentToken": ${token}` })).status).toBe(400);
    expect((await fetch(`${url}/admin/dead-letters?streamId=${orderId}`, { headers: operator.headers })).status).toBe(200);
    await system.stop();
    lines = texts.map((text) => JSON.parse(text) as Line);
  });

  afterAll(async () => {
    await system?.stop().catch(() => undefined);
  });

  it('writes one JSON object a line, with a level by name, an ISO time and the roles of the process', () => {
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const line of lines) {
      expect(line).toMatchObject({ level: expect.stringMatching(/^(error|warn|info|debug)$/), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), msg: expect.any(String), roles: 'all' });
    }
  });

  it('holds no payment token and no API key, in any line', () => {
    for (const secret of [token, viewer.key, operator.key]) {
      for (const text of texts) expect(text).not.toContain(secret);
    }
  });

  it("names the saga in each line about it: its id, its machine and version, and the state it reached", () => {
    const sagaLines = lines.filter((line) => line.sagaId === orderId && SAGA_LINES.includes(line.msg));
    expect(sagaLines.map((line) => line.msg)).toEqual(expect.arrayContaining(SAGA_LINES));
    for (const line of sagaLines) {
      expect(line).toMatchObject({ level: 'debug', machine: expect.stringMatching(/^orderSaga@\d+$/), version: expect.any(Number), state: expect.any(String) });
    }
    const versions = sagaLines.map((line) => line.version as number);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(sagaLines.at(-1)).toMatchObject({ msg: 'saga ended', state: 'completed' });
  });

  it('says at warn what was dead-lettered, naming the saga (with machine and version where the worker knows them)', () => {
    const letters = lines.filter((line) => line.msg === 'dead-lettered a message');
    expect(letters.map((line) => [line.level, line.consumer, line.sagaId])).toEqual(
      expect.arrayContaining([
        ['warn', 'saga-worker', orderId],
        ['warn', 'payment', orderId],
      ]),
    );
    expect(letters.find((line) => line.consumer === 'saga-worker')).toMatchObject({ machine: expect.stringMatching(/^orderSaga@/), version: expect.any(Number), reason: 'UNSOLICITED_REPLY' });
  });

  it('logs a request that failed inside as an error, with the error, and a refused body not at all', () => {
    const failed = lines.filter((line) => line.level === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ msg: 'GET /stats/orders failed', method: 'GET', status: 500, err: { message: 'read model down', stack: expect.any(String) } });
  });
});
