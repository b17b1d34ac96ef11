import { boundedRead, timeBoundViewStore } from '../runtime/timeBoundViewStore.ts';
import type { OrderReadModel } from './orderReadModel.ts';

/**
 * The order read model with every read bounded by `timeoutMs` (see `timeBoundViewStore`), the
 * order counts included.
 *
 * @example
 * const reads = timeBoundReadModel(readModel, { timeoutMs: 1000 });
 * await reads.countByStatus(); // rejects after 1 s at most
 */
export function timeBoundReadModel(readModel: OrderReadModel, options: { timeoutMs: number }): OrderReadModel {
  const bounded = boundedRead(options.timeoutMs);
  return {
    ...timeBoundViewStore(readModel, options),
    countByStatus: () => bounded('countByStatus', () => readModel.countByStatus()),
    countByState: () => bounded('countByState', () => readModel.countByState()),
  };
}
