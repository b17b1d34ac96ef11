import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../runtime/logger.ts';
import { searchWordsOf } from '../../runtime/viewFields.ts';
import type { SagaViewBase, SagaViewSpec } from '../../runtime/viewStore.ts';

/** The field every view document carries beside the view: the words free-text search reads. */
export const SEARCH_TEXT = 'search_text';

/** A view as an index stores it: the view's document plus its search words. */
export type ViewDocument = Readonly<Record<string, unknown>> & { [SEARCH_TEXT]: string[] };

/**
 * What a view index may trade for cheaper writes, since `xsaga rebuild-read-model` restores it from
 * the event store (docs/decisions/0023): `async` fsyncs the translog every few seconds instead of
 * per request, so a crash of Elasticsearch may lose the last seconds of acknowledged writes; a
 * longer refresh interval makes writes visible to searches later (reads by id see them at once).
 */
export type ViewIndexTuning = Readonly<{ translogDurability: 'request' | 'async'; refreshInterval: string }>;

/** Elasticsearch's own durability, and a second for new views to show in listings. */
export const DEFAULT_VIEW_INDEX_TUNING: ViewIndexTuning = { translogDurability: 'request', refreshInterval: '1s' };

/** The settings of a view index that may change while it exists. */
export function tunedIndexSettings(tuning: ViewIndexTuning): estypes.IndicesIndexSettings {
  return { refresh_interval: tuning.refreshInterval, translog: { durability: tuning.translogDurability } };
}

/**
 * Settings of a view index. One shard is plenty for one node and keeps sort and totals exact;
 * replicas would leave a single-node cluster yellow forever.
 */
export function viewIndexSettings(tuning: ViewIndexTuning): estypes.IndicesIndexSettings {
  return {
    number_of_shards: 1,
    number_of_replicas: 0,
    ...tunedIndexSettings(tuning),
    // The query API accepts offset ≤ 10 000 with limit ≤ 500; the default window (10 000) would reject the last pages.
    max_result_window: 10_500,
  };
}

/** The saga's mapping plus the search words: words for `match`, the lowercased whole values for a prefix of an id as typed. */
export function viewIndexMappings<TView extends SagaViewBase>(spec: SagaViewSpec<TView>): estypes.MappingTypeMapping {
  const searchText = { type: 'text', analyzer: 'standard', fields: { raw: { type: 'keyword', normalizer: 'lowercase', ignore_above: 256 } } };
  return { ...spec.mappings, properties: { ...spec.mappings.properties, [SEARCH_TEXT]: searchText } } as estypes.MappingTypeMapping;
}

/** The document written for a view. */
export function documentOf<TView extends SagaViewBase>(spec: SagaViewSpec<TView>, view: TView): ViewDocument {
  return { ...(spec.toDocument ? spec.toDocument(view) : view), [SEARCH_TEXT]: searchWordsOf(view, spec.textFields) };
}

/** The view of a stored document: exactly the view's fields, without the search words. */
export function viewOfDocument<TView extends SagaViewBase>(spec: SagaViewSpec<TView>, document: ViewDocument): TView {
  const { [SEARCH_TEXT]: _words, ...rest } = document;
  return spec.fromDocument ? spec.fromDocument(rest) : (rest as unknown as TView);
}

/**
 * Adds to the index behind `alias` the fields its view gained since the index was made (an order's
 * `machineVersion`): a strict mapping refuses documents with a field it does not know. Adding is all
 * that Elasticsearch does in place; a field whose type changed needs `xsaga rebuild-read-model`.
 */
async function addNewFields(client: Client, alias: string, mappings: estypes.MappingTypeMapping, logger: Logger): Promise<void> {
  try {
    await client.indices.putMapping({ index: alias, properties: mappings.properties });
  } catch (error) {
    logger.warn({ alias, err: error }, `the mapping of ${alias} differs from its view's beyond new fields: run xsaga rebuild-read-model`);
  }
}

/** Puts the tuning the configuration asks for on an index that exists: a changed setting applies at the next start. */
async function applyTuning(client: Client, alias: string, tuning: ViewIndexTuning, logger: Logger): Promise<void> {
  try {
    await client.indices.putSettings({ index: alias, settings: tunedIndexSettings(tuning) });
  } catch (error) {
    logger.warn({ alias, tuning, err: error }, `could not set the refresh interval and translog durability of ${alias}; it keeps its own`);
  }
}

/** Creates the first index behind `alias`, unless the alias exists; safe when processes start at once. */
export async function ensureAlias(client: Client, alias: string, mappings: estypes.MappingTypeMapping, tuning: ViewIndexTuning, logger: Logger): Promise<void> {
  if (await client.indices.existsAlias({ name: alias })) {
    await addNewFields(client, alias, mappings, logger);
    await applyTuning(client, alias, tuning, logger);
    return;
  }
  // A fixed first name: two processes starting at once race for the same index, and exactly one wins.
  const index = `${alias}-initial`;
  try {
    // Index and alias in one request: no one ever sees the index without its alias.
    await client.indices.create({ index, mappings, settings: viewIndexSettings(tuning), aliases: { [alias]: { is_write_index: true } } });
    logger.info({ alias, index }, `created index ${index} behind alias ${alias}`);
  } catch (error) {
    if (await client.indices.existsAlias({ name: alias })) {
      logger.info({ alias }, `alias ${alias} was created concurrently`);
      return;
    }
    throw error;
  }
}
