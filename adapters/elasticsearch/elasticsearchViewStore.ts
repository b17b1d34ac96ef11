import { Client, errors, type estypes } from '@elastic/elasticsearch';
import { XsagaError } from '../../runtime/errors.ts';
import { silentLogger, type Logger } from '../../runtime/logger.ts';
import {
  countableField,
  readModelUnavailable,
  type CountedField,
  type SagaViewBase,
  type SagaViewSpec,
  type SagaViewStore,
  type StateStats,
  type VersionedView,
  type ViewQuery,
  type ViewSearchResult,
} from '../../runtime/viewStore.ts';
import { groupByNested, nestedPathOf } from '../../runtime/viewFields.ts';
import { isTransient, waitForCluster } from './clusterAvailability.ts';
import {
  DEFAULT_VIEW_INDEX_TUNING,
  documentOf,
  ensureAlias,
  SEARCH_TEXT,
  viewIndexMappings,
  viewIndexSettings,
  viewOfDocument,
  type ViewDocument,
  type ViewIndexTuning,
} from './viewIndex.ts';

/** The production view store of one saga, plus what only an index behind an alias can do. */
export type ElasticsearchViewStore<TView extends SagaViewBase> = SagaViewStore<TView> & {
  /** Makes every acknowledged write visible to search (Elasticsearch search is near-real-time). */
  refresh(): Promise<void>;
  /**
   * Fills a fresh index through `fill`, then swaps the alias to it atomically and deletes the old
   * indices. Reads keep answering from the old index until the swap, and this process's upserts
   * are written to both meanwhile, so nothing projected during the rebuild is lost.
   */
  rebuild(fill: (target: SagaViewStore<TView>) => Promise<void>): Promise<{ index: string; previous: string[] }>;
};

export type ElasticsearchViewStoreOptions<TView extends SagaViewBase> = Readonly<{
  /** The saga's view: its mapping, id, text fields and sort. */
  spec: SagaViewSpec<TView>;
  node: string;
  /** Readers and writers use only the alias; the index behind it changes on rebuild. The spec's name when absent. */
  alias?: string;
  /** A shared client; when absent the store creates one and closes it on `close()`. */
  client?: Client;
  logger?: Logger;
  /**
   * `at-start` (default) waits for the cluster and creates the index behind the alias, as the
   * projector must before it writes; `on-demand` does neither, for a process that only reads (it
   * answers as an unavailable read model until a writer made the alias) or never uses it, so that it
   * starts while Elasticsearch is away.
   */
  connect?: 'at-start' | 'on-demand';
  /** How long to wait for the cluster to be at least yellow. */
  startupTimeoutMs?: number;
  /** Refresh interval and translog durability of the index, set at start by a process that connects then; a 1 s refresh and a durable translog when absent. */
  tuning?: ViewIndexTuning;
  /**
   * How long one read may take, with no retry: the caller bounds its wait itself (see
   * `timeBoundReadModel`) and has somewhere else to read; this only ends a request it gave up on.
   */
  readTimeoutMs?: number;
}>;

type IndexViewStore<TView extends SagaViewBase> = SagaViewStore<TView> & { refresh(): Promise<void>; idle(): Promise<void> };

/** A read is answered now or not at all: the client's retries with backoff took 6-8 s on a node that was down. */
type ReadOptions = Readonly<{ maxRetries: 0; requestTimeout: number }>;

const DEFAULT_READ_TIMEOUT_MS = 5_000;

/**
 * @example
 * const orders = await createElasticsearchViewStore({ spec: orderViewSpec, node: 'http://127.0.0.1:9200' });
 * await orders.rebuild((target) => rebuildViews({ store, registry, machineId: 'orderSaga', views: target }).then(() => undefined));
 */
export async function createElasticsearchViewStore<TView extends SagaViewBase>(options: ElasticsearchViewStoreOptions<TView>): Promise<ElasticsearchViewStore<TView>> {
  const client = options.client ?? new Client({ node: options.node });
  const closeClient = async () => {
    if (!options.client) await client.close();
  };
  const logger = options.logger ?? silentLogger;
  const { spec } = options;
  const alias = options.alias ?? spec.name;
  const mappings = viewIndexMappings(spec);
  const tuning = options.tuning ?? DEFAULT_VIEW_INDEX_TUNING;
  try {
    if (options.connect !== 'on-demand') {
      await waitForCluster(client, options.startupTimeoutMs ?? 30_000);
      await ensureAlias(client, alias, mappings, tuning, logger);
    }
  } catch (error) {
    await closeClient();
    throw error;
  }
  const mirrors = new Set<string>();
  const reads: ReadOptions = { maxRetries: 0, requestTimeout: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS };
  const live = indexViewStore(client, alias, spec, { viaAlias: true, mirrors, reads });
  const { idle: _idle, ...port } = live;
  return {
    ...port,
    async rebuild(fill) {
      const index = `${alias}-${new Date().toISOString().replace(/[-:.]/g, '').toLowerCase()}-${Math.floor(Math.random() * 1e6).toString(36)}`;
      // No refresh while filling: nobody reads this index before the swap, and refreshes slow bulk writes.
      await client.indices.create({ index, mappings, settings: { ...viewIndexSettings(tuning), refresh_interval: '-1' } });
      logger.info({ alias, index }, `rebuild of ${alias}: filling ${index}`);
      mirrors.add(index);
      let previous: string[];
      try {
        await fill(indexViewStore(client, index, spec, { viaAlias: false, mirrors: new Set(), reads }));
        await client.indices.putSettings({ index, settings: { refresh_interval: tuning.refreshInterval } });
        await client.indices.refresh({ index });
        previous = Object.keys(await client.indices.getAlias({ name: alias }));
        // One request: readers see the old index or the new one, never none. `must_exist` makes a concurrent swap fail this one.
        await client.indices
          .updateAliases({
            actions: [...previous.map((old) => ({ remove: { index: old, alias, must_exist: true } })), { add: { index, alias, is_write_index: true } }],
          })
          .catch((error: unknown) => {
            if (!(error instanceof errors.ResponseError && error.statusCode === 404)) throw error;
            throw new XsagaError('CONCURRENCY', `Another rebuild of ${alias} swapped it first`, { cause: error });
          });
      } catch (error) {
        mirrors.delete(index);
        // A write still in flight to the deleted index would auto-create it with guessed mappings.
        await live.idle();
        await client.indices.delete({ index }, { ignore: [404] });
        throw error;
      }
      mirrors.delete(index);
      if (previous.length > 0) await client.indices.delete({ index: previous }, { ignore: [404] });
      logger.info({ alias, index, deleted: previous }, `rebuild of ${alias}: now ${index}, deleted ${previous.join(', ') || 'nothing'}`);
      return { index, previous };
    },
    async close() {
      await closeClient();
    },
  };
}

/** One implementation for the alias and for a rebuild's fresh index: only the target name differs. */
function indexViewStore<TView extends SagaViewBase>(
  client: Client,
  target: string,
  spec: SagaViewSpec<TView>,
  options: { viaAlias: boolean; mirrors: ReadonlySet<string>; reads: ReadOptions },
): IndexViewStore<TView> {
  const inFlight = new Set<Promise<unknown>>();
  const { reads } = options;

  /** A node that is down, slow or recovering is unavailable, not broken: callers read elsewhere or retry. */
  async function read<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isTransient(error)) throw readModelUnavailable(`${what} on ${target}: ${(error as Error).message}`, error);
      throw error;
    }
  }

  async function bulk(views: readonly VersionedView<TView>[]): Promise<void> {
    const operations: estypes.BulkRequest<ViewDocument>['operations'] = [];
    for (const name of [target, ...options.mirrors]) {
      for (const { id, version, view } of views) {
        // `require_alias` stops a write to a deleted alias from auto-creating an index with guessed mappings.
        operations.push({ index: { _index: name, _id: id, version, version_type: 'external', require_alias: options.viaAlias && name === target } }, documentOf(spec, view));
      }
    }
    const response = await client.bulk<ViewDocument>({ operations });
    if (!response.errors) return;
    // 409: the index already holds this version or a newer one (a replay or a reordering), which is the point of versioning.
    const failed = response.items.map((item) => item.index).filter((result) => result?.error !== undefined && result.status !== 409);
    if (failed.length === 0) return;
    const reasons = failed.slice(0, 3).map((result) => `${result?._id}: ${result?.error?.type}: ${result?.error?.reason}`);
    throw new XsagaError('UNAVAILABLE', `Elasticsearch rejected ${failed.length} of ${operations.length / 2} writes to ${target}: ${reasons.join('; ')}`, {
      retryable: failed.every((result) => result !== undefined && (result.status === 429 || result.status >= 500)),
    });
  }

  async function countBy(field: CountedField): Promise<Record<string, number>> {
    countableField(spec, field);
    // A counted field takes a handful of values (the statechart's states, the machine versions), far below 100.
    const response = await read(`count by ${field}`, () =>
      client.search({ index: target, size: 0, track_total_hits: false, aggs: { counts: { terms: { field, size: 100 } } } }, reads),
    );
    const buckets = (response.aggregations?.counts as estypes.AggregationsStringTermsAggregate | undefined)?.buckets ?? [];
    const counts: Record<string, number> = {};
    for (const bucket of Object.values(buckets)) counts[String(bucket.key)] = bucket.doc_count;
    return counts;
  }

  return {
    async upsert(views) {
      if (views.length === 0) return;
      const written = bulk(views);
      inFlight.add(written);
      try {
        await written;
      } finally {
        inFlight.delete(written);
      }
    },
    async get(id) {
      try {
        const found = await read('get', () => client.get<ViewDocument>({ index: target, id }, reads));
        return found._source === undefined ? undefined : viewOfDocument(spec, found._source);
      } catch (error) {
        // A missing index is also a 404, but one that must not read as "no such saga".
        if (error instanceof errors.ResponseError && error.statusCode === 404 && error.body?.found === false) return undefined;
        throw error;
      }
    },
    async search(query): Promise<ViewSearchResult<TView>> {
      const response = await read('search', () =>
        client.search<ViewDocument>(
          {
            index: target,
            query: { bool: { filter: filtersOf(spec, query) } },
            sort: query.sort === 'oldestUpdate' ? [{ updatedAt: 'asc' }, { [spec.idField]: 'asc' }] : [{ [spec.newestField]: 'desc' }, { [spec.idField]: 'asc' }],
            from: query.offset ?? 0,
            size: query.limit ?? 20,
            track_total_hits: true,
          },
          reads,
        ),
      );
      const { total, hits } = response.hits;
      const items = hits.flatMap((hit) => (hit._source === undefined ? [] : [viewOfDocument(spec, hit._source)]));
      return { total: typeof total === 'number' ? total : (total?.value ?? 0), items };
    },
    countBy,
    async statsByState() {
      const response = await read('stats by state', () =>
        client.search(
          {
            index: target,
            size: 0,
            track_total_hits: false,
            // `_key` order matches the in-memory store's sort; a statechart has far fewer than 100 states.
            aggs: { states: { terms: { field: 'state', size: 100, order: { _key: 'asc' } }, aggs: { oldest: { min: { field: 'updatedAt' } } } } },
          },
          reads,
        ),
      );
      type Bucket = estypes.AggregationsStringTermsBucket & { oldest: estypes.AggregationsMinAggregate };
      const buckets = ((response.aggregations?.states as estypes.AggregationsStringTermsAggregate | undefined)?.buckets ?? []) as Bucket[];
      return Object.values(buckets).map(
        (bucket): StateStats => ({ state: String(bucket.key), count: bucket.doc_count, oldestUpdatedAt: new Date(bucket.oldest.value ?? 0).toISOString() }),
      );
    },
    idOf: (view) => spec.idOf(view),
    async ping() {
      // The index behind the alias, not only the node: after a restart the node answers before its shards do.
      const health = await read('health', () => client.cluster.health({ index: target }, reads));
      if (health.status === 'red') throw readModelUnavailable(`${target} is red: ${health.unassigned_shards} shard(s) unassigned`);
    },
    async refresh() {
      await client.indices.refresh({ index: target });
    },
    async idle() {
      await Promise.allSettled([...inFlight]);
    },
    async close() {},
  };
}

function filtersOf<TView extends SagaViewBase>(spec: SagaViewSpec<TView>, query: ViewQuery): estypes.QueryDslQueryContainer[] {
  const filters: estypes.QueryDslQueryContainer[] = [];
  const within = (path: string | undefined, filter: estypes.QueryDslQueryContainer): estypes.QueryDslQueryContainer =>
    path === undefined ? filter : { nested: { path, query: filter } };
  if (query.status !== undefined) filters.push({ term: { status: query.status } });
  if (query.state !== undefined) filters.push({ term: { state: query.state } });
  for (const [nested, terms] of groupByNested(spec.mappings, query.where ?? {})) {
    const matches = terms.map(([field, value]) => ({ term: { [field]: value } }));
    // One nested query for the fields of one nested field: they must hold in the same item.
    filters.push(...(nested === undefined ? matches : [within(nested, { bool: { filter: matches } })]));
  }
  if (query.exists !== undefined) filters.push(within(nestedPathOf(spec.mappings, query.exists), { exists: { field: query.exists } }));
  if (query.missing !== undefined) filters.push({ bool: { must_not: within(nestedPathOf(spec.mappings, query.missing), { exists: { field: query.missing } }) } });
  if (query.text !== undefined) {
    // Whole words in any order (`alice`, `soldout`), or the start of an id or SKU as typed (`sku-sold`).
    const should = [{ match: { [SEARCH_TEXT]: { query: query.text, operator: 'and' as const } } }, { prefix: { [`${SEARCH_TEXT}.raw`]: query.text.toLowerCase() } }];
    filters.push({ bool: { should, minimum_should_match: 1 } });
  }
  return filters;
}
