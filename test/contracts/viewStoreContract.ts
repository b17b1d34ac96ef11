import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SagaViewStore, VersionedView, ViewQuery } from '../../runtime/viewStore.ts';
import { claimOf, type ClaimView } from '../fixtures/claimView.ts';

type Factory = () => Promise<{ store: SagaViewStore<ClaimView>; settle?: () => Promise<void> }>;

const versioned = (view: ClaimView): VersionedView<ClaimView> => ({ id: view.id, version: view.version, view });

/**
 * The behaviour every SagaViewStore must have, held to a view that is not an order's (`claimViewSpec`).
 * `settle` makes writes visible to search (e.g. an index refresh).
 */
export function viewStoreContract(name: string, factory: Factory): void {
  describe(`SagaViewStore contract: ${name}`, () => {
    let store: SagaViewStore<ClaimView>;
    let settle: () => Promise<void>;
    const ids = async (query: ViewQuery) => (await store.search(query)).items.map((view) => store.idOf(view));
    beforeEach(async () => {
      const made = await factory();
      store = made.store;
      settle = made.settle ?? (async () => undefined);
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps the highest version of a view, answers it by id, and tells its id', async () => {
      await store.upsert([versioned(claimOf('t1', 3, { state: 'open.waiting' })), versioned(claimOf('t1', 2, { state: 'open.triage' }))]);
      await store.upsert([versioned(claimOf('t1', 1, { state: 'open.new' }))]);
      const kept = await store.get('t1');
      expect(kept).toStrictEqual(claimOf('t1', 3, { state: 'open.waiting' }));
      expect(store.idOf(kept!)).toBe('t1');
      expect(await store.get('missing')).toBeUndefined();
    });

    it('finds views by state, status, exact fields (arrays and their items included), presence and free text', async () => {
      await store.upsert(
        [
          claimOf('t-ada', 2, { owner: 'ada', tags: ['billing', 'vip'] }),
          claimOf('t-bob', 2, { owner: 'bob', tags: [], lines: [{ sku: 'SKU-9', kind: 'repair' }, { sku: 'SKU-1', kind: 'exchange' }] }),
          claimOf('t-cy', 4, { owner: 'cy', state: 'closed', status: 'CLOSED', review: { by: 'lead', at: '2026-03-02T00:00:00.000Z' } }),
        ].map(versioned),
      );
      await settle();
      const sorted = async (query: ViewQuery) => (await ids(query)).sort();
      expect(await sorted({ state: 'closed' })).toEqual(['t-cy']);
      expect(await sorted({ status: 'OPEN' })).toEqual(['t-ada', 't-bob']);
      expect(await sorted({ where: { owner: 'bob' } })).toEqual(['t-bob']);
      expect(await sorted({ where: { tags: 'vip' } })).toEqual(['t-ada']);
      expect(await sorted({ where: { 'lines.sku': 'SKU-9' } })).toEqual(['t-bob']);
      // Both fields must hold in the same item: SKU-1 is a refund in t-ada and t-cy, an exchange in t-bob.
      expect(await sorted({ where: { 'lines.sku': 'SKU-1', 'lines.kind': 'refund' } })).toEqual(['t-ada', 't-cy']);
      expect(await sorted({ where: { 'lines.sku': 'SKU-9', 'lines.kind': 'exchange' } })).toEqual([]);
      expect(await sorted({ exists: 'review' })).toEqual(['t-cy']);
      expect(await sorted({ missing: 'review' })).toEqual(['t-ada', 't-bob']);
      expect(await sorted({ exists: 'tags' })).toEqual(['t-ada', 't-cy']);
      expect(await sorted({ text: 'vip' })).toEqual(['t-ada']);
      expect(await sorted({ text: 'T-B' })).toEqual(['t-bob']);
      expect(await sorted({ status: 'OPEN', where: { owner: 'cy' } })).toEqual([]);
    });

    it('lists newest first by the spec’s field or the longest unmoved first, ties by id, and pages with a total', async () => {
      await store.upsert(
        [
          claimOf('b', 1, { createdAt: '2026-03-02T00:00:00.000Z', updatedAt: '2026-03-05T00:00:00.000Z' }),
          claimOf('a', 1, { createdAt: '2026-03-02T00:00:00.000Z', updatedAt: '2026-03-04T00:00:00.000Z' }),
          claimOf('c', 1, { createdAt: '2026-03-03T00:00:00.000Z', updatedAt: '2026-03-03T00:00:00.000Z' }),
          claimOf('d', 1, { createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-04T00:00:00.000Z' }),
        ].map(versioned),
      );
      await settle();
      expect(await ids({})).toEqual(['c', 'a', 'b', 'd']);
      expect(await ids({ sort: 'oldestUpdate' })).toEqual(['c', 'a', 'd', 'b']);
      const page = await store.search({ limit: 2, offset: 1 });
      expect(page.total).toBe(4);
      expect(page.items.map((view) => view.id)).toEqual(['a', 'b']);
      expect((await store.search({ limit: 0 })).total).toBe(4);
    });

    it('counts by state and by status, and gives per state the count and the oldest updatedAt', async () => {
      expect(await store.countBy('state')).toEqual({});
      expect(await store.statsByState()).toEqual([]);
      await store.upsert(
        [
          claimOf('x', 1, { updatedAt: '2026-03-01T00:00:05.000Z' }),
          claimOf('y', 1, { updatedAt: '2026-03-01T00:00:02.000Z' }),
          claimOf('z', 3, { state: 'closed', status: 'CLOSED', updatedAt: '2026-03-02T00:00:00.000Z' }),
        ].map(versioned),
      );
      // y moved on: it no longer counts in open.triage, and its old updatedAt no longer is the oldest there.
      await store.upsert([versioned(claimOf('y', 2, { state: 'closed', status: 'CLOSED', updatedAt: '2026-03-03T00:00:00.000Z' }))]);
      await settle();
      expect(await store.countBy('state')).toEqual({ 'open.triage': 1, closed: 2 });
      expect(await store.countBy('status')).toEqual({ OPEN: 1, CLOSED: 2 });
      expect(await store.statsByState()).toEqual([
        { state: 'closed', count: 2, oldestUpdatedAt: '2026-03-02T00:00:00.000Z' },
        { state: 'open.triage', count: 1, oldestUpdatedAt: '2026-03-01T00:00:05.000Z' },
      ]);
    });

    it('counts by any keyword field the spec declares (each value of a list once), and refuses any other field', async () => {
      await store.upsert(
        [claimOf('x', 1, { owner: 'ada', tags: ['billing', 'vip'] }), claimOf('y', 1, { owner: 'bob', tags: ['billing'] }), claimOf('z', 1, { owner: 'ada', tags: [] })].map(
          versioned,
        ),
      );
      await settle();
      expect(await store.countBy('owner')).toEqual({ ada: 2, bob: 1 });
      expect(await store.countBy('tags')).toEqual({ billing: 2, vip: 1 });
      // A long, a nested item's field, an object and a field the mapping does not have: none is a keyword of the view.
      for (const field of ['version', 'lines.sku', 'review', 'nowhere']) {
        await expect(store.countBy(field), field).rejects.toMatchObject({ code: 'VALIDATION' });
      }
    });
  });
}
