import { Histogram, type Registry } from 'prom-client';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { BUCKETS } from './buckets.ts';

/** The store with the time of every commit measured: a batch's one statement, a start, an operator's action. */
export function instrumentedStore(store: SagaStore, registry: Registry): SagaStore {
  const duration = new Histogram({
    name: 'xsaga_store_commit_duration_seconds',
    help: 'Time to commit a batch of saga changes (one statement and transaction), failed commits included.',
    buckets: [...BUCKETS.workSeconds],
    registers: [registry],
  });
  return {
    ...store,
    async commit(changes, deadLetters) {
      const stop = duration.startTimer();
      try {
        return await store.commit(changes, deadLetters);
      } finally {
        stop();
      }
    },
  };
}
