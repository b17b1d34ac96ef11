import { withDeadline } from './deadline.ts';
import { readModelUnavailable, type SagaViewBase, type SagaViewStore } from './viewStore.ts';

/** A read that answers within `timeoutMs` or rejects with a retryable `UNAVAILABLE` error naming `what`. */
export type BoundedRead = <T>(what: string, read: () => Promise<T>) => Promise<T>;

export const boundedRead =
  (timeoutMs: number): BoundedRead =>
  (what, read) =>
    withDeadline(read, timeoutMs, () => readModelUnavailable(`${what}: no answer within ${timeoutMs} ms`));

/**
 * The view store with every read bounded by `timeoutMs`: a store that hangs (a paused node, a
 * client retrying with backoff) answers in time with an `UNAVAILABLE`, retryable error. Writes
 * are left alone: the projector waits for them, and backs off on its own.
 *
 * @example
 * const reads = timeBoundViewStore(views, { timeoutMs: 1000 });
 * await reads.search({ status: 'FAILED' }); // rejects after 1 s at most
 */
export function timeBoundViewStore<TView extends SagaViewBase>(views: SagaViewStore<TView>, options: { timeoutMs: number }): SagaViewStore<TView> {
  const bounded = boundedRead(options.timeoutMs);
  // Looked up at each call, not bound once: whoever holds the store itself sees what this one does.
  return {
    upsert: (batch) => views.upsert(batch),
    get: (id) => bounded('get', () => views.get(id)),
    search: (query) => bounded('search', () => views.search(query)),
    countBy: (field) => bounded(`countBy ${field}`, () => views.countBy(field)),
    statsByState: () => bounded('statsByState', () => views.statsByState()),
    idOf: (view) => views.idOf(view),
    ping: () => bounded('ping', () => views.ping()),
    ...(views.rebuild ? { rebuild: (fill: (target: SagaViewStore<TView>) => Promise<void>) => views.rebuild!(fill) } : {}),
    close: () => views.close(),
  };
}
