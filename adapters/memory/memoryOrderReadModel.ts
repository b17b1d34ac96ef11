import { orderReadModel, type OrderReadModel } from '../../orders/orderReadModel.ts';
import { orderViewSpec } from '../../orders/orderViewSpec.ts';
import { createMemoryViewStore } from './memoryViewStore.ts';

/** The embedded order read model: the orders' views in a map, newest version wins. */
export function createMemoryOrderReadModel(): OrderReadModel {
  return orderReadModel(createMemoryViewStore(orderViewSpec));
}
