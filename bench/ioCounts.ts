import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

/** Rows a run wrote into one table: inserted, updated and deleted, as PostgreSQL's statistics count them. */
export type TableWrites = Readonly<{ inserted: number; updated: number; deleted: number }>;

/**
 * The I/O a run left behind: row writes per table of its schema, messages per topic (named
 * without the run's prefix) and documents in its orders index. Read after the run's processes
 * stopped, so that their statistics are flushed.
 */
export type IoCounts = Readonly<{
  tables: Readonly<Record<string, TableWrites>>;
  messages: Readonly<Record<string, number>>;
  documents: number;
  /** Index operations on the orders index (a view superseded within a projector batch is not written). */
  indexOperations: number;
  /** The orders index's mapping, to compare two systems' read models. */
  mapping: unknown;
}>;

type StatRow = { relname: string; n_tup_ins: string; n_tup_upd: string; n_tup_del: string };

/** Whole-table counters of the schema; a backend flushes its statistics at exit, so they are read until two reads agree. */
export async function tableWritesOf(pgUrl: string, schema: string): Promise<Record<string, TableWrites>> {
  const read = async () => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query<StatRow>(
        'select relname, n_tup_ins, n_tup_upd, n_tup_del from pg_stat_user_tables where schemaname = $1 order by relname',
        [schema],
      );
      return Object.fromEntries(
        rows.map((r) => [r.relname, { inserted: Number(r.n_tup_ins), updated: Number(r.n_tup_upd), deleted: Number(r.n_tup_del) }]),
      );
    } finally {
      await client.end();
    }
  };
  let last = await read();
  for (let attempt = 0; attempt < 10; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const next = await read();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}

/** Messages ever written to each topic whose name starts with `prefix.`, keyed by the rest of the name. */
export async function topicMessagesOf(brokers: readonly string[], prefix: string): Promise<Record<string, number>> {
  const admin = new Kafka({ clientId: 'xsaga-bench-io', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`)).sort();
    const counts: Record<string, number> = {};
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      counts[topic.slice(prefix.length + 1)] = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

/** Documents in, and index operations on, the indices matching `pattern` (primaries only). */
export async function indexCountsOf(elasticsearchUrl: string, pattern: string): Promise<{ documents: number; indexOperations: number }> {
  await fetch(`${elasticsearchUrl}/${pattern}/_refresh`, { method: 'POST' });
  // `_count` counts orders; the index statistics would count each nested item as a document too.
  const counted = (await (await fetch(`${elasticsearchUrl}/${pattern}/_count`)).json()) as { count?: number };
  const stats = (await (await fetch(`${elasticsearchUrl}/${pattern}/_stats/indexing`)).json()) as { _all?: { primaries?: { indexing?: { index_total: number } } } };
  return { documents: counted.count ?? 0, indexOperations: stats._all?.primaries?.indexing?.index_total ?? 0 };
}

/** The mapping of the first index matching `pattern`, to compare two systems' read models. */
export async function indexMappingOf(elasticsearchUrl: string, pattern: string): Promise<unknown> {
  const response = await fetch(`${elasticsearchUrl}/${pattern}/_mapping`);
  const byIndex = (await response.json()) as Record<string, { mappings: unknown }>;
  return Object.values(byIndex)[0]?.mappings;
}

/** Everything `IoCounts` holds for a run's schema, topic prefix and index pattern. */
export async function ioCountsOf(servers: Readonly<{ pgUrl: string; kafkaBrokers: readonly string[]; elasticsearchUrl: string }>, run: Readonly<{ schema: string; topicPrefix: string; indexPattern: string }>): Promise<IoCounts> {
  const tables = await tableWritesOf(servers.pgUrl, run.schema);
  const messages = await topicMessagesOf(servers.kafkaBrokers, run.topicPrefix);
  const { documents, indexOperations } = await indexCountsOf(servers.elasticsearchUrl, run.indexPattern);
  const mapping = await indexMappingOf(servers.elasticsearchUrl, run.indexPattern);
  return { tables, messages, documents, indexOperations, mapping };
}
