import { Client } from '@elastic/elasticsearch';

/** The Elasticsearch the integration tests use: the machine's node unless XSAGA_TEST_ES_URL says otherwise. */
export const TEST_ES_URL = process.env.XSAGA_TEST_ES_URL ?? 'http://127.0.0.1:9200';

/** The indices whose name starts with `prefix`, in name order. */
export async function indicesByPrefix(client: Client, prefix: string): Promise<string[]> {
  const found = await client.indices.get({ index: `${prefix}*`, expand_wildcards: 'all', allow_no_indices: true });
  return Object.keys(found).sort();
}

/**
 * Deletes every index whose name starts with `prefix`, and with them their aliases. Names are
 * listed first: clusters refuse wildcard deletes by default (`action.destructive_requires_name`).
 */
export async function deleteTestIndices(prefix: string, client?: Client): Promise<void> {
  const es = client ?? new Client({ node: TEST_ES_URL });
  try {
    const names = await indicesByPrefix(es, prefix);
    if (names.length > 0) await es.indices.delete({ index: names }, { ignore: [404] });
  } finally {
    if (!client) await es.close();
  }
}
