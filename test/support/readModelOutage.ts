import type { OrderReadModel } from '../../orders/orderReadModel.ts';
import { XsagaError } from '../../runtime/errors.ts';

/** How the read model fails: not at all, by never answering (a paused node), or by refusing at once (a node that is down). */
export type OutageMode = 'none' | 'hang' | 'refuse';

/**
 * `inner` behind a switch that takes it down, reads and writes alike, and brings it back. A call
 * that hangs goes on once the outage ends, as a request to a paused node does when it resumes.
 *
 * @example
 * const outage = readModelOutage(createMemoryOrderReadModel());
 * outage.begin('hang');
 * outage.end();
 */
export function readModelOutage(inner: OrderReadModel): { readModel: OrderReadModel; begin(mode: Exclude<OutageMode, 'none'>): void; end(): void; calls(): number } {
  let mode: OutageMode = 'none';
  let ended: () => void = () => undefined;
  let over = Promise.resolve();
  let calls = 0;
  const through =
    <A extends unknown[], T>(call: (...args: A) => Promise<T>) =>
    async (...args: A): Promise<T> => {
      calls += 1;
      // What an adapter throws for a node it cannot reach.
      if (mode === 'refuse') throw new XsagaError('UNAVAILABLE', 'The read model is unavailable (connect ECONNREFUSED)', { retryable: true });
      if (mode === 'hang') await over;
      return call(...args);
    };
  return {
    readModel: {
      upsert: through((views) => inner.upsert(views)),
      get: through((orderId) => inner.get(orderId)),
      search: through((query) => inner.search(query)),
      countBy: through((field) => inner.countBy(field)),
      countByStatus: through(() => inner.countByStatus()),
      countByState: through(() => inner.countByState()),
      statsByState: through(() => inner.statsByState()),
      idOf: (view) => inner.idOf(view),
      ping: through(() => inner.ping()),
      close: () => inner.close(),
    },
    begin(next) {
      mode = next;
      over = new Promise((resolve) => (ended = resolve));
    },
    end() {
      mode = 'none';
      ended();
    },
    calls: () => calls,
  };
}
