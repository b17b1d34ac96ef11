import { orderReadModel, type OrderReadModel } from '../../orders/orderReadModel.ts';
import { orderViewSpec } from '../../orders/orderViewSpec.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { createElasticsearchViewStore, type ElasticsearchViewStore, type ElasticsearchViewStoreOptions } from './elasticsearchViewStore.ts';

/** The production order read model, plus what only an index behind an alias can do (see `ElasticsearchViewStore`). */
export type ElasticsearchOrderReadModel = OrderReadModel & Pick<ElasticsearchViewStore<OrderView>, 'refresh' | 'rebuild'>;

export type ElasticsearchOrderReadModelOptions = Omit<ElasticsearchViewStoreOptions<OrderView>, 'spec'>;

/**
 * The orders' view store in the index behind `alias` (`orders` when absent).
 *
 * @example
 * const readModel = await createElasticsearchOrderReadModel({ node: 'http://127.0.0.1:9200', alias: 'orders' });
 */
export async function createElasticsearchOrderReadModel(options: ElasticsearchOrderReadModelOptions): Promise<ElasticsearchOrderReadModel> {
  const views = await createElasticsearchViewStore({ ...options, spec: orderViewSpec });
  return { ...orderReadModel(views), refresh: () => views.refresh(), rebuild: (fill) => views.rebuild(fill) };
}
