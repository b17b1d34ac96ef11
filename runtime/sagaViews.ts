import { isXsagaError, XsagaError } from './errors.ts';
import type { SagaRuntime } from './sagaRuntime.ts';
import type { SagaStore, StoredEvent } from './sagaStore.ts';
import type { SagaViewBase, SagaViewStore } from './viewStore.ts';

/** A saga's view and where it was read: the view store, or the event store when the view store has not got it or cannot answer. */
export type SourcedView<TView> = Readonly<{ view: TView; source: 'read-model' | 'event-store' }>;

/** The query side of one saga type, by saga id. */
export type SagaViews<TView> = Readonly<{
  /**
   * The view store's view, or, before the projection has caught up or while the view store is
   * unavailable, the view folded from the event store. With `minVersion`, waits (bounded) until the
   * view store reflects at least that version, or reads the event store if the view store is unavailable.
   */
  getView(id: string, options?: { minVersion?: number }): Promise<SourcedView<TView> | undefined>;
  /** Every event of the saga's stream, in order; undefined when there is no such stream. */
  history(id: string): Promise<readonly StoredEvent[] | undefined>;
}>;

const UNAVAILABLE = Symbol('view store unavailable');

/**
 * Reads one saga type's views with the event store behind them. `noun` and `historyPath` name the
 * saga in errors (`Order 42 is at version 3…`, `…read /orders/42/history`).
 *
 * @example
 * const orders = createSagaViews({ runtime, store, views: readModel, noun: 'Order', historyPath: (id) => `/orders/${id}/history` });
 * await orders.getView(orderId, { minVersion: 1 });
 */
export function createSagaViews<TView extends SagaViewBase>(deps: {
  runtime: Pick<SagaRuntime, 'loadStored'>;
  store: Pick<SagaStore, 'load' | 'readStream'>;
  views: SagaViewStore<TView>;
  noun?: string;
  historyPath?: (id: string) => string;
  minVersionWaitMs?: number;
}): SagaViews<TView> {
  const minVersionWaitMs = deps.minVersionWaitMs ?? 2000;
  const noun = deps.noun ?? 'Saga';

  /** The view store's view; `unavailable` when it cannot answer now, and the event store must. */
  async function projectedView(id: string): Promise<TView | undefined | typeof UNAVAILABLE> {
    try {
      return await deps.views.get(id);
    } catch (error) {
      if (isXsagaError(error, 'UNAVAILABLE') && error.retryable) return UNAVAILABLE;
      throw error;
    }
  }

  /** The view folded from the event store: the truth, at the cost of a load and a fold; as of its last event, as the projector's facts are. */
  async function foldedView(id: string): Promise<TView | undefined> {
    const live = await deps.runtime.loadStored(id);
    if (!live) return undefined;
    const [last] = await deps.store.readStream(id, live.version);
    const updatedAt = last?.message.metadata.occurredAt ?? live.times.enteredAt ?? live.times.startedAt ?? '';
    return live.definition.view({ streamId: id, version: live.version, snapshot: live.snapshot, updatedAt }) as TView;
  }

  const versionMissing = (id: string, head: number, minVersion: number) =>
    new XsagaError('CONCURRENCY', `${noun} ${id} is at version ${head}; version ${minVersion} does not exist`, {
      fieldErrors: [{ field: 'minVersion', detail: `must be at most ${head}` }],
    });

  async function readOwnWrite(id: string, minVersion: number): Promise<SourcedView<TView> | undefined> {
    const deadline = Date.now() + minVersionWaitMs;
    for (let pause = 5, headChecked = false; ; pause = Math.min(pause * 2, 100)) {
      const projected = await projectedView(id);
      if (projected === UNAVAILABLE) {
        // The store has every version there is: waiting for a view store that is down would only end in a 503.
        const folded = await foldedView(id);
        if (folded && folded.version < minVersion) throw versionMissing(id, folded.version, minVersion);
        return folded && { view: folded, source: 'event-store' };
      }
      if (projected && projected.version >= minVersion) return { view: projected, source: 'read-model' };
      // A version past the stream's head is not worth waiting for: without this look at the store,
      // `minVersion=99` on a projected saga held the request for the whole wait and ended in a 503.
      if (!projected || !headChecked) {
        headChecked = true;
        const head = (await deps.store.load(id))?.head;
        if (!head && !projected) return undefined;
        if (head && head.version < minVersion) throw versionMissing(id, head.version, minVersion);
      }
      // The whole wait is given: giving up a pause early made the bound a matter of luck.
      const left = deadline - Date.now();
      if (left <= 0) {
        const elsewhere = deps.historyPath ? `; retry, or read ${deps.historyPath(id)}` : '; retry';
        throw new XsagaError('TIMEOUT', `The read model has not reached version ${minVersion} of ${noun.toLowerCase()} ${id} within ${minVersionWaitMs} ms${elsewhere}`, {
          retryable: true,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }

  return {
    async getView(id, options = {}) {
      if (options.minVersion !== undefined) return readOwnWrite(id, options.minVersion);
      const projected = await projectedView(id);
      if (projected && projected !== UNAVAILABLE) return { view: projected, source: 'read-model' };
      const folded = await foldedView(id);
      return folded && { view: folded, source: 'event-store' };
    },

    async history(id) {
      const events = await deps.store.readStream(id, 1);
      return events.length > 0 ? events : undefined;
    },
  };
}
