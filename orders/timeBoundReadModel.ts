import { withDeadline } from '../runtime/deadline.ts';
import { readModelUnavailable, type OrderReadModel } from './orderReadModel.ts';

/**
 * The read model with every read bounded by `timeoutMs`: a read model that hangs (a paused node,
 * a client retrying with backoff) answers in time with an `UNAVAILABLE`, retryable error. Writes
 * are left alone: the projector waits for them, and backs off on its own.
 *
 * @example
 * const reads = timeBoundReadModel(readModel, { timeoutMs: 1000 });
 * await reads.search({ status: 'FAILED' }); // rejects after 1 s at most
 */
export function timeBoundReadModel(readModel: OrderReadModel, options: { timeoutMs: number }): OrderReadModel {
  const { timeoutMs } = options;
  const bounded = <T>(what: string, read: () => Promise<T>): Promise<T> =>
    withDeadline(read, timeoutMs, () => readModelUnavailable(`${what}: no answer within ${timeoutMs} ms`));
  // Looked up at each call, not bound once: whoever holds the read model itself sees what this one does.
  return {
    upsert: (views) => readModel.upsert(views),
    get: (orderId) => bounded('get', () => readModel.get(orderId)),
    search: (query) => bounded('search', () => readModel.search(query)),
    countByStatus: () => bounded('countByStatus', () => readModel.countByStatus()),
    countByState: () => bounded('countByState', () => readModel.countByState()),
    statsByState: () => bounded('statsByState', () => readModel.statsByState()),
    ping: () => bounded('ping', () => readModel.ping()),
    ...(readModel.rebuild ? { rebuild: (fill) => readModel.rebuild!(fill) } : {}),
    close: () => readModel.close(),
  };
}
