import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderViewQuery, type OrderQuery, type OrderReadModel } from '../../orders/orderReadModel.ts';
import type { OrderView } from '../../orders/orderView.ts';

type Factory = () => Promise<{ readModel: OrderReadModel; settle?: () => Promise<void> }>;

/** A view document for tests; `overrides` pick the fields a test is about. */
export function viewOf(orderId: string, version: number, overrides: Partial<OrderView> = {}): OrderView {
  return {
    orderId,
    customerId: 'cust-1',
    status: 'PENDING',
    state: 'payment.capturing',
    failureReason: null,
    total: 3998,
    currency: 'EUR',
    items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1999 }],
    steps: [],
    attempts: { capture: 1, reserve: 0, ship: 0, release: 0, refund: 0 },
    attention: null,
    version,
    machineVersion: 1,
    placedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    ...overrides,
  };
}

/** The behaviour every OrderReadModel must have. `settle` makes writes visible to search (e.g. an index refresh). */
export function readModelContract(name: string, factory: Factory): void {
  describe(`OrderReadModel contract: ${name}`, () => {
    let readModel: OrderReadModel;
    let settle: () => Promise<void>;
    const search = (query: OrderQuery) => readModel.search(orderViewQuery(query));
    beforeEach(async () => {
      const made = await factory();
      readModel = made.readModel;
      settle = made.settle ?? (async () => undefined);
    });
    afterEach(async () => {
      await readModel.close();
    });

    it('is ready to serve reads', async () => {
      await expect(readModel.ping()).resolves.toBeUndefined();
    });

    it('keeps the highest version of a document, whatever order versions arrive in', async () => {
      await readModel.upsert([{ id: 'o1', version: 3, view: viewOf('o1', 3, { state: 'shipping' }) }]);
      await readModel.upsert([{ id: 'o1', version: 2, view: viewOf('o1', 2, { state: 'inventory' }) }]);
      await readModel.upsert([{ id: 'o1', version: 3, view: viewOf('o1', 3, { state: 'shipping' }) }]);
      expect(await readModel.get('o1')).toMatchObject({ version: 3, state: 'shipping' });
      await readModel.upsert([{ id: 'o1', version: 5, view: viewOf('o1', 5, { state: 'completed', status: 'COMPLETED' }) }]);
      expect(await readModel.get('o1')).toMatchObject({ version: 5, status: 'COMPLETED' });
      expect(await readModel.get('missing')).toBeUndefined();
    });

    it('searches by customer, status, SKU and text, and counts per status and state', async () => {
      await readModel.upsert([
        { id: 'a', version: 4, view: viewOf('a', 4, { customerId: 'alice', status: 'COMPLETED', state: 'completed' }) },
        { id: 'b', version: 4, view: viewOf('b', 4, { customerId: 'alice', status: 'FAILED', state: 'failed', failureReason: 'OUT_OF_STOCK', items: [{ sku: 'SKU-SOLDOUT', quantity: 1, unitPrice: 5 }] }) },
        { id: 'c', version: 2, view: viewOf('c', 2, { customerId: 'bob' }) },
      ]);
      await settle();
      const ids = (result: { items: readonly OrderView[] }) => result.items.map((v) => v.orderId).sort();
      expect(ids(await search({ customerId: 'alice' }))).toEqual(['a', 'b']);
      expect((await search({ customerId: 'alice' })).total).toBe(2);
      expect(ids(await search({ customerId: 'alice', status: 'FAILED' }))).toEqual(['b']);
      expect(ids(await search({ sku: 'SKU-SOLDOUT' }))).toEqual(['b']);
      expect(ids(await search({ text: 'bob' }))).toEqual(['c']);
      expect(ids(await search({ state: 'completed' }))).toEqual(['a']);
      const page = await search({ limit: 2, offset: 0 });
      expect(page.total).toBe(3);
      expect(page.items).toHaveLength(2);
      expect(await readModel.countByStatus()).toEqual({ PENDING: 1, COMPLETED: 1, FAILED: 1 });
      expect(await readModel.countByState()).toMatchObject({ completed: 1, failed: 1, 'payment.capturing': 1 });
    });

    it('lists the orders that need a human, longest waiting first, and keeps their attention', async () => {
      const parked = (id: string, since: string) =>
        viewOf(id, 9, {
          state: 'compensating.refundingPayment.parked',
          updatedAt: since,
          attention: { reason: 'COMPENSATION_PARKED', since, attempts: 50, lastError: 'CARD_CLOSED' },
        });
      await readModel.upsert([
        { id: 'late', version: 9, view: parked('late', '2026-01-02T00:00:00.000Z') },
        { id: 'early', version: 9, view: parked('early', '2026-01-01T00:00:00.000Z') },
        { id: 'fine', version: 2, view: viewOf('fine', 2, { updatedAt: '2025-12-31T00:00:00.000Z' }) },
      ]);
      await settle();
      const ids = (result: { items: readonly { orderId: string }[] }) => result.items.map((v) => v.orderId);
      expect(ids(await search({ attention: true }))).toEqual(['early', 'late']);
      expect(ids(await search({ attention: false }))).toEqual(['fine']);
      expect((await readModel.get('early'))?.attention).toEqual({ reason: 'COMPENSATION_PARKED', since: '2026-01-01T00:00:00.000Z', attempts: 50, lastError: 'CARD_CLOSED' });
    });

    it('gives per state the count and the oldest updatedAt, sorted by state, from the newest version of each document', async () => {
      expect(await readModel.statsByState()).toEqual([]);
      await readModel.upsert([
        { id: 'p1', version: 2, view: viewOf('p1', 2, { updatedAt: '2026-01-01T00:00:05.000Z' }) },
        { id: 'p2', version: 2, view: viewOf('p2', 2, { updatedAt: '2026-01-01T00:00:02.500Z' }) },
        { id: 'p3', version: 3, view: viewOf('p3', 3, { updatedAt: '2026-01-01T00:00:09.000Z' }) },
        { id: 'r1', version: 6, view: viewOf('r1', 6, { state: 'compensating.refundingPayment', updatedAt: '2026-01-02T10:00:00.000Z' }) },
        { id: 'c1', version: 4, view: viewOf('c1', 4, { state: 'completed', status: 'COMPLETED', updatedAt: '2026-01-03T00:00:00.000Z' }) },
      ]);
      // p1 moved on: it no longer counts in payment.capturing, and its old updatedAt no longer is the oldest there.
      await readModel.upsert([{ id: 'p2', version: 4, view: viewOf('p2', 4, { state: 'completed', status: 'COMPLETED', updatedAt: '2026-01-02T00:00:00.000Z' }) }]);
      await settle();
      expect(await readModel.statsByState()).toEqual([
        { state: 'compensating.refundingPayment', count: 1, oldestUpdatedAt: '2026-01-02T10:00:00.000Z' },
        { state: 'completed', count: 2, oldestUpdatedAt: '2026-01-02T00:00:00.000Z' },
        { state: 'payment.capturing', count: 2, oldestUpdatedAt: '2026-01-01T00:00:05.000Z' },
      ]);
    });
  });
}
