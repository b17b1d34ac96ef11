import { Client } from '@elastic/elasticsearch';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startOwnElasticsearch } from '../../chaos/servers/ownElasticsearch.ts';
import type { OwnServer } from '../../chaos/servers/ownServer.ts';
import { TEST_ES_URL } from '../support/elasticsearch.ts';

describe('an Elasticsearch node of its own', () => {
  let es: OwnServer | undefined;
  afterAll(async () => {
    await es?.dispose();
  });

  it('keeps its documents across a hard stop, and leaves the shared node alone', { timeout: 240_000 }, async () => {
    const shared = new Client({ node: TEST_ES_URL });
    const sharedBefore = (await shared.cluster.health()).cluster_name;
    const dir = await mkdtemp(join(tmpdir(), 'xsaga-es-sanity-'));
    es = await startOwnElasticsearch({ dir });
    expect(es.address).not.toBe(TEST_ES_URL);
    const pid = es.pid();
    expect(pid).toBeGreaterThan(0);

    const client = new Client({ node: es.address });
    try {
      await client.index({ index: 'sanity', id: 'one', document: { word: 'kept' }, refresh: true });
      await es.stop({ hard: true });
      expect(es.pid()).toBeUndefined();
      await expect(client.cluster.health({}, { maxRetries: 0 })).rejects.toThrow();
      // The shared node did not notice.
      expect((await shared.cluster.health()).cluster_name).toBe(sharedBefore);

      await es.start();
      expect(es.pid()).not.toBe(pid);
      await client.cluster.health({ index: 'sanity', wait_for_status: 'yellow', timeout: '30s' });
      expect((await client.get<{ word: string }>({ index: 'sanity', id: 'one' }))._source).toEqual({ word: 'kept' });

      await es.stop();
      await es.start();
      await client.cluster.health({ index: 'sanity', wait_for_status: 'yellow', timeout: '30s' });
      expect((await client.get<{ word: string }>({ index: 'sanity', id: 'one' }))._source).toEqual({ word: 'kept' });
    } finally {
      await client.close();
      await shared.close();
    }
    await es.dispose();
    es = undefined;
    expect(existsSync(dir)).toBe(false);
  });
});
