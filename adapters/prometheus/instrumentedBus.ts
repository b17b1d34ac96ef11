import { Histogram, type Registry } from 'prom-client';
import type { MessageBus } from '../../runtime/messageBus.ts';
import { BUCKETS } from './buckets.ts';

/**
 * The bus with every handled batch measured: its size and how long its handler took, by consumer
 * (`consumerOf` names the group's consumer as dead letters do: saga-worker, projector, payment…).
 * A batch whose handler failed is measured when it is handled at last.
 */
export function instrumentedBus(bus: MessageBus, registry: Registry, consumerOf: (group: string) => string): MessageBus {
  const registers = [registry];
  const size = new Histogram({ name: 'xsaga_batch_size', help: 'Messages per batch a consumer handled.', labelNames: ['consumer'], buckets: [...BUCKETS.batchMessages], registers });
  const duration = new Histogram({
    name: 'xsaga_batch_duration_seconds',
    help: 'Time a consumer took to handle a batch, its commit included.',
    labelNames: ['consumer'],
    buckets: [...BUCKETS.workSeconds],
    registers,
  });
  return {
    ensureTopics: (topics) => bus.ensureTopics(topics),
    publish: (envelopes) => bus.publish(envelopes),
    subscribe(options) {
      const consumer = consumerOf(options.group);
      return bus.subscribe({
        ...options,
        async handler(batch) {
          const began = performance.now();
          await options.handler(batch);
          size.observe({ consumer }, batch.messages.length);
          duration.observe({ consumer }, (performance.now() - began) / 1000);
        },
      });
    },
    consumerLag: bus.consumerLag && ((consumers) => bus.consumerLag!(consumers)),
    close: () => bus.close(),
  };
}
