import { replayStream, type LiveSaga } from './sagaFold.ts';
import type { MachineRegistry } from './sagaDefinition.ts';
import type { LoadedStream, SagaStore } from './sagaStore.ts';
import type { SagaViewBase, SagaViewStore, VersionedView } from './viewStore.ts';

/**
 * When the saga last moved: the time of its last event, which is what the projector's facts say.
 * A stream whose snapshot is at its head has no event after it in `loaded`: its head event is read.
 */
async function lastMovedAt(store: Pick<SagaStore, 'readStream'>, loaded: LoadedStream, live: LiveSaga): Promise<string> {
  const last = loaded.events.at(-1) ?? (await store.readStream(loaded.head.streamId, loaded.head.version)).at(-1);
  return last?.message.metadata.occurredAt ?? live.times.enteredAt ?? live.times.startedAt ?? '';
}

/**
 * Folds every stored stream of `machineId` (whichever registered version it began on) and writes
 * its view: the views rebuilt from the event store, the truth. Streams are loaded a page at a time;
 * one of a version no longer registered is left out. Resolves to how many views were written.
 *
 * @example
 * await readModel.rebuild((target) => rebuildViews({ store, registry, machineId: 'orderSaga', views: target }).then(() => undefined));
 */
export async function rebuildViews<TView extends SagaViewBase>(options: {
  store: Pick<SagaStore, 'listStreams' | 'loadMany' | 'readStream'>;
  registry: MachineRegistry;
  machineId: string;
  views: SagaViewStore<TView>;
  pageSize?: number;
}): Promise<number> {
  const { store, registry, machineId } = options;
  let after: string | undefined;
  let total = 0;
  for (;;) {
    const heads = await store.listStreams({ afterStreamId: after, limit: options.pageSize ?? 500 });
    if (heads.length === 0) return total;
    after = heads.at(-1)!.streamId;
    const ours = heads.filter((head) => head.machineId === machineId && registry.get(head.machineId, head.machineVersion));
    if (ours.length === 0) continue;
    const loadedById = await store.loadMany(ours.map((head) => head.streamId));
    const views: VersionedView<TView>[] = [];
    for (const head of ours) {
      const loaded = loadedById.get(head.streamId);
      if (!loaded) continue;
      const definition = registry.get(loaded.head.machineId, loaded.head.machineVersion)!;
      const live = replayStream(definition, loaded);
      const updatedAt = await lastMovedAt(store, loaded, live);
      const view = definition.view({ streamId: head.streamId, version: live.version, snapshot: live.snapshot, updatedAt }) as TView;
      views.push({ id: head.streamId, version: live.version, view });
    }
    await options.views.upsert(views);
    total += views.length;
  }
}
