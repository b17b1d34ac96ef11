import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { replyTo, type Message } from '../../runtime/message.ts';
import { apiKeysEnv, testApiKey, type TestApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody } from '../support/orderRequests.ts';

const viewer = testApiKey('viewer');
const operator = testApiKey('operator');
let system: System;
let url: string;

beforeAll(async () => {
  // A payment that never answers within the test: the order waits in payment.capturing.
  system = await startEmbedded({ ...apiKeysEnv(viewer, operator), XSAGA_PAYMENT_TIMEOUT_MS: '600000' });
  url = await system.listen(0);
});
afterAll(async () => {
  await system?.stop();
});

const call = async (path: string, key: TestApiKey, init: RequestInit = {}) => {
  const response = await fetch(`${url}${path}`, { ...init, headers: { ...key.headers, 'content-type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('a poisoned saga needs a human, and its dead letter can be replayed', () => {
  it('shows the poison as attention, lists it, and re-sends the message to the saga worker once', async () => {
    const orderId = (await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId;
    const capture = await eventually(async () => {
      const rows = await system.adapters.sql.query<{ message: Message }>(`select message from xsaga_outbox where stream_id = $1 and message->>'type' = 'CapturePayment'`, [orderId]);
      expect(rows.rows).toHaveLength(1);
      return rows.rows[0]!.message;
    });
    // An answer to the awaited capture, with no data: it breaks the event's schema.
    const forged = replyTo(capture, 'PaymentCaptured', null, new Date().toISOString());
    await system.adapters.bus.publish([{ topic: system.topics.sagaInbox, key: orderId, message: forged }]);
    const [letter] = await eventually(async () => {
      const letters = await system.adapters.store.deadLetters({ streamId: orderId, limit: 5 });
      expect(letters).toHaveLength(1);
      return letters;
    });
    expect(letter).toMatchObject({ reason: 'SCHEMA_VIOLATION', messageKey: forged.metadata.messageId, replayedAt: null });

    const view = (await call(`/orders/${orderId}`, viewer)).body as unknown as OrderView;
    expect(view).toMatchObject({ status: 'PENDING', state: 'payment.capturing', attention: { reason: 'POISON_MESSAGE', attempts: letter!.attempts } });
    expect(view.attention!.lastError).toMatch(/PaymentCaptured/);
    const listed = (await call('/admin/sagas?attention=true', viewer)).body as { items: { orderId: string; attention: { reason: string } }[] };
    expect(listed.items.filter((item) => item.orderId === orderId).map((item) => item.attention.reason)).toEqual(['POISON_MESSAGE']);
    expect(((await call(`/admin/dead-letters?streamId=${orderId}`, viewer)).body.items as { id: string }[]).map((d) => d.id)).toEqual([letter!.id]);

    // A viewer may not replay; an operator may, once.
    const path = `/admin/dead-letters/${encodeURIComponent(letter!.id)}/replay`;
    expect((await call(path, viewer, { method: 'POST', body: '{}' })).status).toBe(403);
    const replayed = await call(path, operator, { method: 'POST', body: '{}' });
    expect(replayed).toMatchObject({ status: 202, body: { deadLetterId: letter!.id, streamId: orderId, consumer: 'saga-worker', replayedAs: `replay/${letter!.id}` } });
    expect((await call(path, operator, { method: 'POST', body: '{}' })).status).toBe(409);
    expect((await system.adapters.store.deadLetters({ id: letter!.id, limit: 1 }))[0]!.replayedAt).not.toBeNull();
    // It reached the saga worker again, which (nothing was fixed) dead-letters it again, under its new id.
    await eventually(async () =>
      expect((await system.adapters.store.deadLetters({ streamId: orderId, unreplayed: true, limit: 5 })).map((d) => d.messageKey)).toEqual([`replay/${letter!.id}`]),
    );
    expect((await call(`/orders/${orderId}`, viewer)).body).toMatchObject({ state: 'payment.capturing', version: 1 });
    expect((await call('/admin/dead-letters/nope/replay', operator, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
