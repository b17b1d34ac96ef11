import type { MachineRegistry } from '../runtime/sagaDefinition.ts';
import { replayStream } from '../runtime/sagaRuntime.ts';
import type { SagaStore } from '../runtime/sagaStore.ts';
import type { OrderReadModel, VersionedView } from './orderReadModel.ts';
import type { OrderView } from './orderView.ts';

/** Folds every stored stream and writes its view: the read model rebuilt from the event store, the truth. */
export async function rebuildReadModel(store: SagaStore, registry: MachineRegistry, readModel: OrderReadModel, pageSize = 500): Promise<number> {
  let after: string | undefined;
  let total = 0;
  for (;;) {
    const heads = await store.listStreams({ afterStreamId: after, limit: pageSize });
    if (heads.length === 0) return total;
    const views: VersionedView[] = [];
    for (const head of heads) {
      const definition = registry.get(head.machineId, head.machineVersion);
      const loaded = await store.load(head.streamId);
      if (!definition || !loaded) continue;
      const live = replayStream(definition, loaded);
      const last = loaded.events.at(-1)?.message.metadata.occurredAt;
      const view = definition.view({ streamId: head.streamId, version: live.version, snapshot: live.snapshot, updatedAt: last ?? '' }) as OrderView;
      views.push({ id: head.streamId, version: live.version, view: last ? view : { ...view, updatedAt: view.placedAt } });
    }
    await readModel.upsert(views);
    total += views.length;
    after = heads.at(-1)!.streamId;
  }
}
