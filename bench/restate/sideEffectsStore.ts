import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { viewIndexMappings, viewIndexSettings } from '../../adapters/elasticsearch/viewIndex.ts';
import { createPgClient } from '../../adapters/postgres/pgClient.ts';
import { orderViewSpec } from '../../orders/orderViewSpec.ts';
import { migrateParticipants } from '../../participants/schema.ts';
import { BENCH_SERVERS } from '../benchServers.ts';
import { indexCountsOf, indexMappingOf, tableWritesOf, type IoCounts } from '../ioCounts.ts';
import type { SideEffectsTarget } from './endpoint.ts';
import { bridgeUnixSocket } from './unixSocketBridge.ts';

/** PostgreSQL's Unix socket folder: the endpoint in its namespace reaches the server through it. */
const PG_SOCKET_DIR = process.env.XSAGA_BENCH_PG_SOCKET_DIR ?? '/var/run/postgresql';

export type SideEffectsStore = Readonly<{
  target: SideEffectsTarget;
  /** What the run wrote: participant rows per table, and the orders documents. */
  io(): Promise<IoCounts>;
  /** Drops the schema and the index, and closes the bridge to Elasticsearch. */
  drop(): Promise<void>;
}>;

/**
 * A fresh schema with xsaga's participant tables (its own migration) and a fresh orders index
 * with xsaga's mapping, for one run of the Restate side-effects variant, and the Unix socket that
 * carries the endpoint's requests to Elasticsearch.
 */
export async function createSideEffectsStore(id: string): Promise<SideEffectsStore> {
  const url = new URL(BENCH_SERVERS.pgUrl);
  const sql = await createPgClient({ connectionString: BENCH_SERVERS.pgUrl, schema: id });
  try {
    await migrateParticipants(sql);
  } finally {
    await sql.close();
  }
  const index = `${id}-orders`;
  const elasticsearch = new URL(BENCH_SERVERS.elasticsearchUrl);
  const created = await fetch(`${elasticsearch.origin}/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mappings: viewIndexMappings(orderViewSpec), settings: viewIndexSettings }),
  });
  if (!created.ok) throw new Error(`could not create ${index}: ${created.status} ${await created.text()}`);
  const bridge = await bridgeUnixSocket(join(tmpdir(), `${id}-es.sock`), { host: elasticsearch.hostname, port: Number(elasticsearch.port || 9200) });
  return {
    target: {
      pg: { socketDir: PG_SOCKET_DIR, user: decodeURIComponent(url.username) || 'postgres', database: url.pathname.slice(1) || 'postgres', schema: id },
      elasticsearch: { socketPath: bridge.path, index },
    },
    async io() {
      const { documents, indexOperations } = await indexCountsOf(elasticsearch.origin, index);
      return { tables: await tableWritesOf(BENCH_SERVERS.pgUrl, id), messages: {}, documents, indexOperations, mapping: await indexMappingOf(elasticsearch.origin, index) };
    },
    async drop() {
      await bridge.close();
      const client = new pg.Client({ connectionString: BENCH_SERVERS.pgUrl });
      await client.connect();
      await client.query(`drop schema if exists ${id} cascade`);
      await client.end();
      await fetch(`${elasticsearch.origin}/${index}`, { method: 'DELETE' }).catch(() => undefined);
    },
  };
}
