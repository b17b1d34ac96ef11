import type { ArchivedStream, SagaStore } from './sagaStore.ts';

/** Where archived streams go; `write` resolves only once they are durable there. */
export type ArchiveSink = Readonly<{ write(streams: readonly ArchivedStream[]): Promise<void> }>;

export type ArchiveResult = Readonly<{ archived: number; events: number }>;

/**
 * Moves finished streams last written before `before` out of the store: each batch is written to
 * the sink and made durable first, then deleted whole. A crash between the two leaves the batch in
 * both places, and the next run writes it again; readers of an archive keep one copy per stream.
 */
export async function archiveFinishedStreams(options: {
  store: Pick<SagaStore, 'finishedStreams' | 'deleteFinished'>;
  sink: ArchiveSink;
  before: string;
  batchSize: number;
  /** At most this many streams in one run. */
  limit?: number;
}): Promise<ArchiveResult> {
  const { store, sink, before, batchSize } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let archived = 0;
  let events = 0;
  while (archived < limit) {
    const batch = await store.finishedStreams(before, Math.min(batchSize, limit - archived));
    if (batch.length === 0) break;
    await sink.write(batch);
    const deleted = new Set(await store.deleteFinished(batch.map((stream) => stream.head.streamId)));
    archived += deleted.size;
    events += batch.filter((stream) => deleted.has(stream.head.streamId)).reduce((sum, stream) => sum + stream.events.length, 0);
    // Nothing deleted means nothing will change by asking again.
    if (deleted.size === 0) break;
  }
  return { archived, events };
}
