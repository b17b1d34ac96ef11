import { createPgClient } from '../../adapters/postgres/pgClient.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { orderTotal } from '../../orders/placeOrderRequest.ts';
import { topicsFor } from '../../orders/topics.ts';
import { LruCache } from '../../runtime/lruCache.ts';
import type { Message } from '../../runtime/message.ts';
import { replayStream, type LiveSaga } from '../../runtime/sagaRuntime.ts';
import type { LoadedStream, StreamChange } from '../../runtime/sagaStore.ts';
import { BENCH_SERVERS } from '../benchServers.ts';

export type HydrationResult = Readonly<{
  /** Events folded per second through the runtime's stepper, streams already in memory. */
  foldEventsPerSecond: number;
  /** Events per second for cold sagas loaded from PostgreSQL and folded, no snapshots. */
  coldReplayEventsPerSecond: number;
  /** The same with a snapshot one event before the head. */
  coldReplayWithSnapshotEventsPerSecond: number;
  /** Cold sagas loaded 500 at a time, as a worker hydrates the sagas of a fetched batch, and folded. */
  coldBatchReplayEventsPerSecond: number;
  coldBatchReplayWithSnapshotEventsPerSecond: number;
  /** Event-store appends (event + outbox + applied id per saga, batches of 500) per second. */
  appendRowsPerSecond: number;
  /** A raw batched INSERT of the same rows and tables, same durability, per second. */
  rawInsertRowsPerSecond: number;
  appendRatio: number;
  /** Heap bytes per cached live saga. */
  bytesPerCachedActor: number;
  /** Heap growth in MiB after 1,000,000 finished sagas passed through a cache of the default size. */
  heapGrowthAfterMillionMiB: number;
}>;

const definition = orderSagaDefinition(topicsFor('bench'));
const message = (type: string, orderId: string, data: unknown, n: number): Message => ({
  type,
  data,
  metadata: { messageId: `${orderId}/${n}`, correlationId: orderId, causationId: `${orderId}/${n - 1}`, occurredAt: new Date(1_800_000_000_000 + n).toISOString() },
});

/** A completed saga's stream, as the runtime would have written it. */
function completedStream(index: number): Message[] {
  const orderId = `bench-${index}`;
  const request = orderRequestFor(index, scenarioFor(0));
  const order = { orderId, ...request, total: orderTotal(request.items), placedAt: new Date(1_800_000_000_000).toISOString() };
  return [
    message('OrderPlaced', orderId, { order, settings: { paymentTimeoutMs: 30_000, maxAttempts: 5 } }, 1),
    message('PaymentCaptured', orderId, { amount: order.total }, 2),
    message('StockReserved', orderId, {}, 3),
    message('ShipmentCreated', orderId, { shipmentId: `shp-${orderId}` }, 4),
  ];
}

const head = (streamId: string, version: number) => ({ streamId, machineId: 'orderSaga', machineVersion: definition.version, version, status: 'done' as const });

/** Replay, append and memory figures of the runtime's hydration path, on the real PostgreSQL. */
export async function runHydrationScenario(options: { streams: number }): Promise<HydrationResult> {
  const schema = `bench_hydration_${Date.now().toString(36)}`;
  const sql = await createPgClient({ connectionString: BENCH_SERVERS.pgUrl, schema });
  try {
    const store = await createSqlSagaStore(sql);
    const streams = Array.from({ length: options.streams }, (_, i) => completedStream(i));

    // Pure fold: how fast the runtime replays events, with no I/O.
    let started = performance.now();
    for (const events of streams) {
      replayStream(definition, { head: head(events[0]!.metadata.correlationId, 4), snapshot: undefined, events: events.map((m, v) => ({ version: v + 1, message: m })) });
    }
    const foldEventsPerSecond = (options.streams * 4) / ((performance.now() - started) / 1000);

    // Append: what the runtime writes per saga, in batches of 500 sagas per transaction.
    const changes: StreamChange[] = streams.map((events) => ({
      streamId: events[0]!.metadata.correlationId,
      machineId: 'orderSaga',
      machineVersion: definition.version,
      expectedVersion: 0,
      events,
      status: 'done',
      outbox: events.map((m) => ({ topic: 'bench', key: m.metadata.correlationId, message: m })),
      timersArmed: [],
      timersCancelled: [],
      appliedMessageIds: events.map((m) => m.metadata.messageId),
    }));
    started = performance.now();
    for (let i = 0; i < changes.length; i += 500) await store.commit(changes.slice(i, i + 500));
    const appendSeconds = (performance.now() - started) / 1000;
    const rows = options.streams * (1 + 4 * 3);
    const appendRowsPerSecond = rows / appendSeconds;

    // The same rows with one plain multi-row INSERT per table and batch.
    await sql.query('create table raw_events (like xsaga_events including all)');
    await sql.query('create table raw_outbox (like xsaga_outbox including all)');
    await sql.query('create table raw_applied (like xsaga_applied_messages including all)');
    await sql.query('create table raw_streams (like xsaga_streams including all)');
    started = performance.now();
    for (let i = 0; i < changes.length; i += 500) {
      const batch = changes.slice(i, i + 500);
      const events = batch.flatMap((c) => c.events.map((m, v) => ({ id: c.streamId, v: v + 1, m })));
      await sql.transaction(async (tx) => {
        await tx.query('insert into raw_streams (stream_id, machine_id, machine_version, version, status) select s, $2, 1, 4, $3 from unnest($1::text[]) s', [batch.map((c) => c.streamId), 'orderSaga', 'done']);
        await tx.query('insert into raw_events select s, v, t, d::jsonb, m::jsonb from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[]) as u(s, v, t, d, m)', [
          events.map((e) => e.id),
          events.map((e) => e.v),
          events.map((e) => e.m.type),
          events.map((e) => JSON.stringify(e.m.data)),
          events.map((e) => JSON.stringify(e.m.metadata)),
        ]);
        await tx.query('insert into raw_outbox (stream_id, topic, key, message) select s, $2, s, m::jsonb from unnest($1::text[], $3::text[]) as u(s, m)', [
          events.map((e) => e.id),
          'bench',
          events.map((e) => JSON.stringify(e.m)),
        ]);
        await tx.query('insert into raw_applied select * from unnest($1::text[], $2::text[])', [events.map((e) => e.m.metadata.messageId), events.map((e) => e.id)]);
      });
    }
    const rawInsertRowsPerSecond = rows / ((performance.now() - started) / 1000);

    // Cold replay from the store, without and with a snapshot.
    const sample = streams.slice(0, Math.min(options.streams, 2000)).map((events) => events[0]!.metadata.correlationId);
    const replayOneByOne = async () => {
      const began = performance.now();
      for (const id of sample) replayStream(definition, (await store.load(id)) as LoadedStream);
      return (sample.length * 4) / ((performance.now() - began) / 1000);
    };
    const replayInBatches = async () => {
      const began = performance.now();
      for (let i = 0; i < sample.length; i += 500) {
        for (const loaded of (await store.loadMany(sample.slice(i, i + 500))).values()) replayStream(definition, loaded);
      }
      return (sample.length * 4) / ((performance.now() - began) / 1000);
    };
    const coldReplayEventsPerSecond = await replayOneByOne();
    const coldBatchReplayEventsPerSecond = await replayInBatches();
    const snapshots = sample.map((id, i) => {
      const live = replayStream(definition, { head: head(id, 3), snapshot: undefined, events: streams[i]!.slice(0, 3).map((m, v) => ({ version: v + 1, message: m })) });
      return { id, state: definition.machine.getPersistedSnapshot(live.snapshot) };
    });
    await sql.query(
      `insert into xsaga_snapshots (stream_id, version, machine_version, state) select s, 3, $3, st::jsonb from unnest($1::text[], $2::text[]) as u(s, st)`,
      [snapshots.map((s) => s.id), snapshots.map((s) => JSON.stringify(s.state)), definition.version],
    );
    const coldReplayWithSnapshotEventsPerSecond = await replayOneByOne();
    const coldBatchReplayWithSnapshotEventsPerSecond = await replayInBatches();

    // Memory per cached live saga: heap growth for a full cache, measured after collection where exposed.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const cache = new LruCache<string, LiveSaga>(options.streams);
    for (const events of streams) {
      const id = events[0]!.metadata.correlationId;
      cache.set(id, replayStream(definition, { head: head(id, 4), snapshot: undefined, events: events.map((m, v) => ({ version: v + 1, message: m })) }));
    }
    gc?.();
    const bytesPerCachedActor = (process.memoryUsage().heapUsed - before) / cache.size;

    // A million sagas through the runtime's default cache (10,000): memory is bounded by the cache, not by history.
    const sampleActors = [...streams.slice(0, 100)].map((events) =>
      replayStream(definition, { head: head(events[0]!.metadata.correlationId, 4), snapshot: undefined, events: events.map((m, v) => ({ version: v + 1, message: m })) }),
    );
    cache.clear();
    gc?.();
    const beforeMillion = process.memoryUsage().heapUsed;
    const bounded = new LruCache<string, LiveSaga>(10_000);
    for (let i = 0; i < 1_000_000; i++) {
      const actor = sampleActors[i % sampleActors.length]!;
      bounded.set(`saga-${i}`, { ...actor, streamId: `saga-${i}` });
    }
    gc?.();
    const heapGrowthAfterMillionMiB = (process.memoryUsage().heapUsed - beforeMillion) / 2 ** 20;

    return {
      foldEventsPerSecond,
      coldReplayEventsPerSecond,
      coldReplayWithSnapshotEventsPerSecond,
      coldBatchReplayEventsPerSecond,
      coldBatchReplayWithSnapshotEventsPerSecond,
      appendRowsPerSecond,
      rawInsertRowsPerSecond,
      appendRatio: appendRowsPerSecond / rawInsertRowsPerSecond,
      bytesPerCachedActor,
      heapGrowthAfterMillionMiB,
    };
  } finally {
    await sql.query(`drop schema ${schema} cascade`).catch(() => undefined);
    await sql.close();
  }
}
