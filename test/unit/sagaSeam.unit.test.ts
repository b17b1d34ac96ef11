import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import type { System } from '../../app/system.ts';
import { orderSagaBundle } from '../../orders/orderSagaBundle.ts';
import { defineSaga } from '../../sdk/defineSaga.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { testClock } from '../support/testClock.ts';
import { ticketSaga } from '../fixtures/ticketSaga.ts';

const operator = testApiKey('operator');
const viewer = testApiKey('viewer');
const HOUR_MS = 3_600_000;

describe('a saga hosted through the public seam', () => {
  const clock = testClock(Date.UTC(2026, 0, 1));
  let system: System;
  let url: string;
  beforeAll(async () => {
    system = await startEmbedded(apiKeysEnv(operator, viewer), { sagas: [orderSagaBundle, ticketSaga], clock });
    url = await system.listen(0);
  });
  afterAll(() => system?.stop());
  const post = (url: string, headers: Record<string, string> = {}, body?: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('serves its routes, guarded as their contract says, and documents them', async () => {
    const opened = await post(`${url}/tickets`, {}, { title: 'printer on fire' });
    expect(opened.status).toBe(202);
    const { ticketId } = (await opened.json()) as { ticketId: string };

    expect((await post(`${url}/tickets/${ticketId}/approve`)).status).toBe(401);
    expect((await post(`${url}/tickets/${ticketId}/approve`, viewer.headers)).status).toBe(403);
    const approved = await post(`${url}/tickets/${ticketId}/approve`, operator.headers);
    expect(approved.status).toBe(202);
    // Approved once: the saga has ended, a second approval is a conflict.
    const again = await post(`${url}/tickets/${ticketId}/approve`, operator.headers);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');

    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/tickets', '/tickets/{id}/approve', '/orders']));
    const saga = await system.runtime.loadStored(ticketId);
    expect(saga?.snapshot.value).toBe('approved');
  });

  it('projects its views into a store of its own, which the dashboard counts', async () => {
    const { ticketId } = (await (await post(`${url}/tickets`, {}, { title: 'counted' })).json()) as { ticketId: string };
    const machines = (await (await fetch(`${url}/machines`, { headers: viewer.headers })).json()) as { machines: { id: string; hasReadModel: boolean }[] };
    expect(machines.machines).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'ticketSaga', hasReadModel: true })]));
    await eventually(async () => {
      const found = (await (await fetch(`${url}/machines/ticketSaga/sagas?state=waiting&limit=100`, { headers: viewer.headers })).json()) as { items: { id?: string; sagaId?: string }[] };
      expect(JSON.stringify(found)).toContain(ticketId);
    });
    // Orders keep their own store: a ticket is not an order.
    expect((await (await fetch(`${url}/orders?q=${ticketId}`, { headers: viewer.headers })).json())).toMatchObject({ total: 0 });
  });

  it('answers a repeated Idempotency-Key with the saga it started', async () => {
    const headers = { 'idempotency-key': 'ticket-key-1' };
    const first = (await (await post(`${url}/tickets`, headers, { title: 'a' })).json()) as { ticketId: string };
    const second = (await (await post(`${url}/tickets`, headers, { title: 'a' })).json()) as { ticketId: string };
    expect(second.ticketId).toBe(first.ticketId);
    expect((await post(`${url}/tickets`, headers, { title: 'b' })).status).toBe(422);
  });

  it('fires its hour-long deadline when a test clock is moved, not an hour later', async () => {
    const running = system;
    const { ticketId } = (await (await post(`${url}/tickets`, {}, { title: 'slow' })).json()) as { ticketId: string };
    clock.advance(HOUR_MS - 1);
    expect(await running.scheduler.fireDue()).toBe(0);
    clock.advance(1);
    // The relay's scheduler loop is woken by the clock: no call to fireDue, no wait for a poll.
    await eventually(async () => expect((await running.runtime.loadStored(ticketId))?.snapshot.value).toBe('expired'), { timeoutMs: 10_000 });
  });

  it('refuses a bundle whose versions are of another machine, or a saga listed twice', () => {
    const wrong = defineSaga({ id: 'notTheTicketSaga', setup: (setup) => ticketSaga.setup(setup) });
    expect(() => sagaCatalog({ sagas: [orderSagaBundle, wrong] })).toThrow(/registers a version of another machine, ticketSaga/);
    expect(() => sagaCatalog({ sagas: [ticketSaga, ticketSaga] })).toThrow(/listed twice/);
  });
});
