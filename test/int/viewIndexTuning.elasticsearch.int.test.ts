import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearchOrderReadModel } from '../../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import type { ViewIndexTuning } from '../../adapters/elasticsearch/viewIndex.ts';
import { viewOf } from '../contracts/readModelContract.ts';
import { deleteTestIndices, TEST_ES_URL } from '../support/elasticsearch.ts';
import { uniqueName } from '../support/messages.ts';

const RUN = uniqueName('xsaga_test_tuning').toLowerCase();
const client = new Client({ node: TEST_ES_URL });

afterAll(async () => {
  await deleteTestIndices(RUN, client);
  await client.close();
});

/** The refresh interval and translog durability of each index behind `alias`, as Elasticsearch holds them. */
async function tuningBehind(alias: string): Promise<{ refresh?: string; durability?: string }[]> {
  const settings = await client.indices.getSettings({ index: alias });
  return Object.values(settings).map(({ settings: s }) => ({ refresh: s?.index?.refresh_interval as string | undefined, durability: s?.index?.translog?.durability }));
}

const throughput: ViewIndexTuning = { translogDurability: 'async', refreshInterval: '5s' };

describe('the tuning of a view index', { timeout: 60_000 }, () => {
  it('creates the index with it, puts a changed one on the index at the next start, and keeps it through a rebuild', async () => {
    const alias = `${RUN}_orders`;
    const first = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias, tuning: throughput });
    await first.upsert([{ id: 'o1', version: 1, view: viewOf('o1', 1) }]);
    await first.close();
    expect(await tuningBehind(alias)).toEqual([{ refresh: '5s', durability: 'async' }]);

    // The default: a durable translog, and new views in listings within a second.
    const second = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias });
    expect(await tuningBehind(alias)).toEqual([{ refresh: '1s', durability: 'request' }]);
    await second.close();

    const third = await createElasticsearchOrderReadModel({ node: TEST_ES_URL, alias, tuning: throughput });
    try {
      const { index } = await third.rebuild(async (target) => target.upsert([{ id: 'o1', version: 2, view: viewOf('o1', 2) }]));
      expect(index).not.toBe(`${alias}-initial`);
      expect(await tuningBehind(alias)).toEqual([{ refresh: '5s', durability: 'async' }]);
      expect((await third.get('o1'))?.version).toBe(2);
    } finally {
      await third.close();
    }
  });
});
