import type { MessageBus, Subscription } from '../runtime/messageBus.ts';
import type { OrderReadModel, VersionedView } from './orderReadModel.ts';
import type { OrderView } from './orderView.ts';

type SagaViewUpdated = { streamId: string; version: number; view: OrderView };

/**
 * Keeps the read model up to date from `order-events`: each fact carries the whole view at a
 * version, so applying facts is idempotent and order-safe without reading the old document.
 */
export async function startProjector(options: { bus: MessageBus; topic: string; readModel: OrderReadModel; group?: string }): Promise<Subscription> {
  return options.bus.subscribe({
    group: options.group ?? 'xsaga-projector',
    topics: [options.topic],
    maxBatchSize: 2000,
    handler: async ({ messages }) => {
      const latest = new Map<string, VersionedView>();
      for (const message of messages) {
        if (message.type !== 'SagaViewUpdated') continue;
        const { streamId, version, view } = message.data as SagaViewUpdated;
        const seen = latest.get(streamId);
        if (!seen || seen.version < version) latest.set(streamId, { id: streamId, version, view });
      }
      if (latest.size > 0) await options.readModel.upsert([...latest.values()]);
    },
  });
}
