import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchOrderReadModel, type ElasticsearchOrderReadModel } from '../../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createElasticsearchViewStore } from '../../adapters/elasticsearch/elasticsearchViewStore.ts';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { orderViewQuery, type OrderQuery, type VersionedView } from '../../orders/orderReadModel.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { orderViewSpec } from '../../orders/orderViewSpec.ts';
import { isXsagaError } from '../../runtime/errors.ts';
import { readModelContract, viewOf } from '../contracts/readModelContract.ts';
import { viewStoreContract } from '../contracts/viewStoreContract.ts';
import { claimOf, claimViewSpec, type ClaimView } from '../fixtures/claimView.ts';
import { deleteTestIndices, indicesByPrefix, TEST_ES_URL } from '../support/elasticsearch.ts';
import { uniqueName } from '../support/messages.ts';

// Every index of this file starts with RUN, so one delete by prefix cleans up whatever a failed test left.
const RUN = uniqueName('xsaga_test_es').toLowerCase();
let aliases = 0;
const nextAlias = () => `${RUN}_${++aliases}`;

const versioned = (view: OrderView): VersionedView => ({ id: view.orderId, version: view.version, view });

afterAll(async () => {
  await deleteTestIndices(RUN);
});

readModelContract('Elasticsearch', async () => {
  const alias = nextAlias();
  const readModel = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias });
  const close = async () => {
    await readModel.close();
    await deleteTestIndices(`${alias}-`);
  };
  return { readModel: { ...readModel, close }, settle: () => readModel.refresh() };
});

viewStoreContract('Elasticsearch', async () => {
  const alias = nextAlias();
  const store = await createElasticsearchViewStore({ spec: claimViewSpec, node: TEST_ES_URL, alias });
  const close = async () => {
    await store.close();
    await deleteTestIndices(`${alias}-`);
  };
  return { store: { ...store, close }, settle: () => store.refresh() };
});

describe('Elasticsearch order index made before orders carried their machine version', () => {
  it('gains the new field when the store opens, so the views of v2 are written and counted per version', async () => {
    const alias = nextAlias();
    const { machineVersion: _added, ...before } = orderViewSpec.mappings.properties;
    // The index as an older release made it: the order mapping without machineVersion, strict.
    const old = await createElasticsearchViewStore({ spec: { ...orderViewSpec, mappings: { dynamic: 'strict', properties: before } }, node: TEST_ES_URL, alias });
    await old.close();
    const readModel = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias });
    try {
      await readModel.upsert([versioned(viewOf('o-1', 3, { machineVersion: 1 })), versioned(viewOf('o-2', 1, { machineVersion: 2 })), versioned(viewOf('o-3', 1, { machineVersion: 2 }))]);
      await readModel.refresh();
      expect((await readModel.get('o-2'))?.machineVersion).toBe(2);
      expect(await readModel.countBy('machineVersion')).toEqual({ 1: 1, 2: 2 });
    } finally {
      await readModel.close();
      await deleteTestIndices(`${alias}-`);
    }
  });
});

describe('Elasticsearch view store of a view reshaped for its index', () => {
  const admin = new Client({ node: TEST_ES_URL });
  afterAll(async () => {
    await admin.close();
  });

  it('stores the document the spec makes, and answers the view it was made from', async () => {
    const alias = nextAlias();
    // The index keeps the owner in upper case under another name; the view never sees that field.
    const spec = {
      ...claimViewSpec,
      mappings: { ...claimViewSpec.mappings, properties: { ...claimViewSpec.mappings.properties, OWNER: { type: 'keyword' } } },
      toDocument: ({ owner, ...rest }: ClaimView) => ({ ...rest, owner, OWNER: owner.toUpperCase() }),
      fromDocument: ({ OWNER: _upper, ...view }: Readonly<Record<string, unknown>>) => view as ClaimView,
    };
    const store = await createElasticsearchViewStore({ spec, node: TEST_ES_URL, alias });
    try {
      const claim = claimOf('t1', 1, { owner: 'ada' });
      await store.upsert([{ id: 't1', version: 1, view: claim }]);
      await store.refresh();
      const stored = await admin.get<Record<string, unknown>>({ index: alias, id: 't1' });
      expect(stored._source).toMatchObject({ OWNER: 'ADA', search_text: ['t1', 'ada', 'billing'] });
      expect(await store.get('t1')).toStrictEqual(claim);
      expect((await store.search({ text: 'ada' })).items).toStrictEqual([claim]);
    } finally {
      await store.close();
      await deleteTestIndices(`${alias}-`);
    }
  });
});

describe('Elasticsearch read model', () => {
  const admin = new Client({ node: TEST_ES_URL });
  const opened: ElasticsearchOrderReadModel[] = [];
  const open = async (alias = nextAlias()) => {
    const readModel = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias });
    opened.push(readModel);
    return { readModel, alias };
  };
  const indicesBehind = async (alias: string) => Object.keys(await admin.indices.getAlias({ name: alias })).sort();

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((readModel) => readModel.close()));
  });
  afterAll(async () => {
    await admin.close();
  });

  describe('product check', () => {
    let impostor: ReturnType<typeof createServer>;
    let impostorUrl: string;
    beforeAll(async () => {
      // Answers like a healthy cluster, but without the header that says it is Elasticsearch.
      impostor = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'green', timed_out: false }));
      });
      await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
      impostorUrl = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => impostor.close(resolve));
    });

    it('talks to the real server, which says it is Elasticsearch', async () => {
      const health = await admin.cluster.health({}, { meta: true });
      expect(health.headers['x-elastic-product']).toBe('Elasticsearch');
      const { readModel } = await open();
      expect(await readModel.countByStatus()).toEqual({ PENDING: 0, COMPLETED: 0, FAILED: 0 });
      expect(await readModel.countByState()).toEqual({});
    });

    it('refuses a server that does not say it is Elasticsearch, at once', async () => {
      const started = Date.now();
      const failure = await createElasticsearchOrderReadModel({ node: impostorUrl, alias: nextAlias(), startupTimeoutMs: 10_000 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(errors.ProductNotSupportedError);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  it('ignores lower and equal versions and keeps the higher one, within one bulk and across calls', async () => {
    const { readModel } = await open();
    const shipping = viewOf('o1', 3, { state: 'shipping' });
    await readModel.upsert([versioned(shipping), versioned(viewOf('o1', 2, { state: 'inventory' })), versioned(viewOf('o1', 3, { state: 'replayed' }))]);
    expect(await readModel.get('o1')).toStrictEqual(shipping);

    const completed = viewOf('o1', 5, { state: 'completed', status: 'COMPLETED', steps: [{ step: 'payment', action: 'capture' }] });
    await readModel.upsert([versioned(viewOf('o1', 4, { state: 'shipping.waiting' })), versioned(completed), versioned(viewOf('o1', 4, { state: 'late' }))]);
    await readModel.upsert([versioned(viewOf('o1', 5, { state: 'equal' }))]);
    await readModel.upsert([versioned(viewOf('o1', 1, { state: 'lower' }))]);
    expect(await readModel.get('o1')).toStrictEqual(completed);

    await readModel.refresh();
    const found = await readModel.search(orderViewQuery({ customerId: 'cust-1' }));
    expect(found.items).toStrictEqual([completed]);
  });

  it('throws on any other rejected write, naming the document and the reason', async () => {
    const { readModel } = await open();
    const unmapped = { ...viewOf('bad', 1), nickname: 'x' } as OrderView;
    const failure = await readModel.upsert([versioned(viewOf('good', 1)), versioned(unmapped)]).catch((error: unknown) => error);
    expect(isXsagaError(failure, 'UNAVAILABLE')).toBe(true);
    expect((failure as Error).message).toMatch(/bad: strict_dynamic_mapping_exception/);
    expect(await readModel.get('good')).toStrictEqual(viewOf('good', 1));
  });

  it('rebuilds into a fresh index behind the alias while reads keep answering from the old one', async () => {
    const { readModel, alias } = await open();
    const old = [viewOf('old-1', 3, { customerId: 'old' }), viewOf('old-2', 4, { customerId: 'old' })];
    await readModel.upsert(old.map(versioned));
    await readModel.refresh();
    const [initial] = await indicesBehind(alias);

    const fresh = [1, 2, 3].map((n) => viewOf(`new-${n}`, 7, { customerId: 'new', state: 'completed', status: 'COMPLETED' }));
    const duringFill = viewOf('during', 2, { customerId: 'live' });
    const result = await readModel.rebuild(async (target) => {
      await target.upsert(fresh.map(versioned));
      // The projector keeps writing through the alias during the rebuild.
      await readModel.upsert([versioned(duringFill)]);
      await readModel.refresh();
      expect(await indicesBehind(alias)).toEqual([initial]);
      expect(await readModel.get('old-1')).toStrictEqual(old[0]);
      expect(await readModel.get('new-1')).toBeUndefined();
      expect((await readModel.search(orderViewQuery({}))).total).toBe(3);
    });

    expect(result.previous).toEqual([initial]);
    expect(await indicesBehind(alias)).toEqual([result.index]);
    expect(await indicesByPrefix(admin, `${alias}-`)).toEqual([result.index]);
    expect(await readModel.get('old-1')).toBeUndefined();
    expect(await readModel.get('new-2')).toStrictEqual(fresh[1]);
    expect(await readModel.get('during')).toStrictEqual(duringFill);
    const after = await readModel.search(orderViewQuery({}));
    expect(after.items.map((view) => view.orderId).sort()).toEqual(['during', 'new-1', 'new-2', 'new-3']);
    expect(await readModel.countByStatus()).toEqual({ PENDING: 1, COMPLETED: 3, FAILED: 0 });
    const settings = await admin.indices.getSettings({ index: result.index, name: 'index.refresh_interval' });
    expect(settings[result.index]?.settings).toEqual({ index: { refresh_interval: '1s' } });
  });

  it('leaves exactly one index behind the alias when two rebuilds race', async () => {
    const { readModel, alias } = await open();
    let started = 0;
    const bothStarted = async () => {
      started++;
      const deadline = Date.now() + 5_000;
      while (started < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const outcomes = await Promise.allSettled(
      ['a', 'b'].map((name) =>
        readModel.rebuild(async (target) => {
          await bothStarted();
          await target.upsert([versioned(viewOf(name, 1))]);
        }),
      ),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(isXsagaError(outcome.reason, 'CONCURRENCY')).toBe(true);
    const behind = await indicesBehind(alias);
    expect(behind).toHaveLength(1);
    expect(await indicesByPrefix(admin, `${alias}-`)).toEqual(behind);
    expect(won.map((outcome) => outcome.value.index)).toContain(behind[0]);
  });

  it('drops the fresh index and keeps the old one when the fill fails', async () => {
    const { readModel, alias } = await open();
    await readModel.upsert([versioned(viewOf('kept', 1))]);
    const before = await indicesBehind(alias);
    await expect(readModel.rebuild(async () => Promise.reject(new Error('event store down')))).rejects.toThrow('event store down');
    expect(await indicesByPrefix(admin, `${alias}-`)).toEqual(before);
    expect(await readModel.get('kept')).toStrictEqual(viewOf('kept', 1));
  });

  it('ends with exactly one index behind the alias when two processes start at once', async () => {
    for (let round = 0; round < 3; round++) {
      const alias = nextAlias();
      const [first, second] = await Promise.all([open(alias), open(alias)]);
      expect(await indicesByPrefix(admin, `${alias}-`)).toEqual([`${alias}-initial`]);
      expect(await indicesBehind(alias)).toEqual([`${alias}-initial`]);
      await first.readModel.upsert([versioned(viewOf('shared', 1))]);
      expect(await second.readModel.get('shared')).toStrictEqual(viewOf('shared', 1));
    }
  });

  it('finds orders by free text, pages newest first like the in-memory model, and counts the total', async () => {
    const { readModel } = await open();
    const memory = createMemoryOrderReadModel();
    const views = Array.from({ length: 25 }, (_, n) =>
      viewOf(`ord-${String(n).padStart(2, '0')}`, 1 + (n % 3), {
        customerId: n === 7 ? 'carol' : `cust-${n % 4}`,
        // Pairs share a placedAt, so the order id has to break ties.
        placedAt: new Date(Date.UTC(2026, 0, 1, 0, Math.floor(n / 2))).toISOString(),
        items: n === 11 ? [{ sku: 'SKU-RARE', quantity: 1, unitPrice: 100 }, { sku: 'SKU-1', quantity: 1, unitPrice: 1999 }] : [{ sku: 'SKU-1', quantity: 2, unitPrice: 1999 }],
      }),
    );
    await readModel.upsert(views.map(versioned));
    await memory.upsert(views.map(versioned));
    await readModel.refresh();

    const ids = async (query: OrderQuery) => (await readModel.search(orderViewQuery(query))).items.map((view) => view.orderId);
    expect(await ids({ text: 'SKU-RARE' })).toEqual(['ord-11']);
    expect(await ids({ text: 'sku-ra' })).toEqual(['ord-11']);
    expect(await ids({ text: 'carol' })).toEqual(['ord-07']);
    expect(await ids({ text: 'ORD-07' })).toEqual(['ord-07']);

    for (const query of [{}, { limit: 10 }, { limit: 10, offset: 10 }, { limit: 10, offset: 20 }, { customerId: 'cust-1', limit: 3, offset: 1 }, { sku: 'SKU-RARE' }, { offset: 30 }]) {
      expect(await readModel.search(orderViewQuery(query)), JSON.stringify(query)).toStrictEqual(await memory.search(orderViewQuery(query)));
    }
    const pages = await Promise.all([0, 10, 20].map((offset) => readModel.search(orderViewQuery({ limit: 10, offset }))));
    expect(pages.map((page) => [page.total, page.items.length])).toEqual([[25, 10], [25, 10], [25, 5]]);
    expect(await readModel.countByState()).toEqual(await memory.countByState());
    expect(await readModel.countByStatus()).toEqual(await memory.countByStatus());
  });
});
