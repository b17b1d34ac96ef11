import { XsagaError } from '../../runtime/errors.ts';
import type { Envelope, Message } from '../../runtime/message.ts';
import type {
  DurableTimer,
  IdempotencyRecord,
  LoadedStream,
  OutboxRecord,
  SagaStore,
  StoredEvent,
  StreamChange,
  StreamHead,
  StreamStatus,
} from '../../runtime/sagaStore.ts';
import { sqlStateOf, UNIQUE_VIOLATION, type SqlClient, type SqlQueryable } from '../../runtime/sqlClient.ts';
import { migrateSagaStore } from './schema.ts';

type HeadRow = { stream_id: string; machine_id: string; machine_version: number; version: number; status: StreamStatus };
type EventRow = { version: number; type: string; data: unknown; metadata: Message['metadata'] };
type OutboxRow = { id: string; topic: string; key: string; message: Message };
type TimerRow = { stream_id: string; timer_id: string; due_at: Date | string; armed_version: number; event: unknown };

const toHead = (row: HeadRow): StreamHead => ({
  streamId: row.stream_id,
  machineId: row.machine_id,
  machineVersion: row.machine_version,
  version: row.version,
  status: row.status,
});

const toOutboxRecord = (row: OutboxRow): OutboxRecord => ({
  id: String(row.id),
  envelope: { topic: row.topic, key: row.key, message: row.message },
});

const isoOf = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());

/**
 * The event store on any PostgreSQL dialect (PGlite embedded, PostgreSQL in production).
 * A batch is written with one multi-row statement per table: that is what makes a transaction
 * over hundreds of sagas cheap.
 */
export async function createSqlSagaStore(sql: SqlClient, options: { migrate?: boolean; notifyChannel?: string } = {}): Promise<SagaStore> {
  if (options.migrate !== false) await migrateSagaStore(sql);

  async function commit(changes: readonly StreamChange[]): Promise<void> {
    if (changes.length === 0) return;
    try {
      await sql.transaction(async (tx) => {
        await writeIdempotencyKeys(tx, changes);
        await moveStreamHeads(tx, changes);
        await writeEvents(tx, changes);
        await writeSnapshots(tx, changes);
        await writeOutbox(tx, changes);
        await writeTimers(tx, changes);
        await writeAppliedMessages(tx, changes);
        // Delivered on commit, to relays in other processes: they publish at once instead of at their next poll.
        if (options.notifyChannel && changes.some((c) => c.outbox.length > 0)) await tx.query(`select pg_notify($1, '')`, [options.notifyChannel]);
      });
    } catch (error) {
      if (sqlStateOf(error) === UNIQUE_VIOLATION) {
        throw new XsagaError('CONCURRENCY', 'A stream or message was written concurrently', { retryable: true, cause: error });
      }
      throw error;
    }
  }

  /** Heads with their snapshots in one query, then every later event of every stream in one more. */
  async function loadMany(streamIds: readonly string[]): Promise<ReadonlyMap<string, LoadedStream>> {
    const loaded = new Map<string, LoadedStream>();
    if (streamIds.length === 0) return loaded;
    const heads = await sql.query<HeadRow & { snapshot_version: number | null; snapshot_machine_version: number | null; snapshot_state: unknown }>(
      `select s.*, sn.version as snapshot_version, sn.machine_version as snapshot_machine_version, sn.state as snapshot_state
         from xsaga_streams s left join xsaga_snapshots sn on sn.stream_id = s.stream_id
        where s.stream_id = any($1::text[])`,
      [streamIds],
    );
    if (heads.rows.length === 0) return loaded;
    const events = await sql.query<EventRow & { stream_id: string }>(
      `select e.stream_id, e.version, e.type, e.data, e.metadata
         from unnest($1::text[], $2::int[]) as u(stream_id, from_version)
         join xsaga_events e on e.stream_id = u.stream_id and e.version >= u.from_version
        order by e.stream_id, e.version`,
      [heads.rows.map((row) => row.stream_id), heads.rows.map((row) => (row.snapshot_version ?? 0) + 1)],
    );
    const eventsOf = new Map<string, StoredEvent[]>();
    for (const row of events.rows) {
      const event = { version: row.version, message: { type: row.type, data: row.data, metadata: row.metadata } };
      const list = eventsOf.get(row.stream_id);
      if (list) list.push(event);
      else eventsOf.set(row.stream_id, [event]);
    }
    for (const row of heads.rows) {
      const snapshot =
        row.snapshot_version === null ? undefined : { version: row.snapshot_version, machineVersion: row.snapshot_machine_version!, state: row.snapshot_state };
      const streamEvents = eventsOf.get(row.stream_id) ?? [];
      // The head is read separately from the events: the stream's version is what the events say.
      const version = streamEvents.at(-1)?.version ?? snapshot?.version ?? row.version;
      loaded.set(row.stream_id, { head: { ...toHead(row), version }, snapshot, events: streamEvents });
    }
    return loaded;
  }

  return {
    commit,

    async load(streamId) {
      return (await loadMany([streamId])).get(streamId);
    },

    loadMany,

    readStream: (streamId, fromVersion = 1) => readEvents(sql, streamId, fromVersion),

    async appliedAmong(messageIds) {
      if (messageIds.length === 0) return new Set();
      const result = await sql.query<{ message_id: string }>(
        'select message_id from xsaga_applied_messages where message_id = any($1::text[])',
        [messageIds],
      );
      return new Set(result.rows.map((row) => row.message_id));
    },

    async findIdempotencyKey(key): Promise<IdempotencyRecord | undefined> {
      const result = await sql.query<{ stream_id: string; request_hash: string }>(
        'select stream_id, request_hash from xsaga_idempotency_keys where key = $1',
        [key],
      );
      const row = result.rows[0];
      return row ? { streamId: row.stream_id, requestHash: row.request_hash } : undefined;
    },

    async pendingOutbox(limit) {
      const result = await sql.query<OutboxRow>(
        'select id, topic, key, message from xsaga_outbox where published_at is null order by id limit $1',
        [limit],
      );
      return result.rows.map(toOutboxRecord);
    },

    async markPublished(ids) {
      if (ids.length === 0) return;
      await sql.query('update xsaga_outbox set published_at = now() where id = any($1::bigint[])', [ids]);
    },

    async outboxOfActiveStreams() {
      const result = await sql.query<OutboxRow>(
        `select o.id, o.topic, o.key, o.message from xsaga_outbox o
           join xsaga_streams s on s.stream_id = o.stream_id and s.status = 'active'
          order by o.id`,
      );
      return result.rows.map(toOutboxRecord);
    },

    async fireDueTimers(now, limit, toEnvelope) {
      return sql.transaction(async (tx) => {
        const due = await tx.query<TimerRow>(
          `delete from xsaga_timers t
            using (select stream_id, timer_id from xsaga_timers where due_at <= $1::timestamptz
                    order by due_at limit $2 for update skip locked) d
           where t.stream_id = d.stream_id and t.timer_id = d.timer_id
           returning t.*`,
          [now, limit],
        );
        const fired = due.rows.map((row) => ({
          streamId: row.stream_id,
          envelope: toEnvelope(row.stream_id, {
            timerId: row.timer_id,
            dueAt: isoOf(row.due_at),
            event: row.event,
            armedVersion: row.armed_version,
          }),
        }));
        await insertOutbox(tx, fired);
        return fired.length;
      });
    },

    async nextTimerDue() {
      const result = await sql.query<{ due_at: Date | string }>('select min(due_at) as due_at from xsaga_timers');
      const due = result.rows[0]?.due_at;
      return due ? isoOf(due) : undefined;
    },

    async listStreams({ afterStreamId = '', limit }) {
      const result = await sql.query<HeadRow>(
        'select * from xsaga_streams where stream_id > $1 order by stream_id limit $2',
        [afterStreamId, limit],
      );
      return result.rows.map(toHead);
    },

    close: () => sql.close(),
  };
}

async function readEvents(sql: SqlQueryable, streamId: string, fromVersion: number): Promise<StoredEvent[]> {
  const result = await sql.query<EventRow>(
    'select version, type, data, metadata from xsaga_events where stream_id = $1 and version >= $2 order by version',
    [streamId, fromVersion],
  );
  return result.rows.map((row) => ({ version: row.version, message: { type: row.type, data: row.data, metadata: row.metadata } }));
}

async function writeIdempotencyKeys(tx: SqlQueryable, changes: readonly StreamChange[]): Promise<void> {
  const keyed = changes.filter((c) => c.idempotencyKey);
  if (keyed.length === 0) return;
  const inserted = await tx.query(
    `insert into xsaga_idempotency_keys (key, stream_id, request_hash)
     select * from unnest($1::text[], $2::text[], $3::text[]) on conflict (key) do nothing`,
    [keyed.map((c) => c.idempotencyKey!.key), keyed.map((c) => c.streamId), keyed.map((c) => c.idempotencyKey!.requestHash)],
  );
  if (inserted.rowCount !== keyed.length) {
    throw new XsagaError('IDEMPOTENCY_KEY_REUSED', 'The Idempotency-Key was used by a concurrent request', { retryable: true });
  }
}

/** Creates new streams and moves existing ones forward only from the version their writer read. */
async function moveStreamHeads(tx: SqlQueryable, changes: readonly StreamChange[]): Promise<void> {
  const created = changes.filter((c) => c.expectedVersion === 0);
  const moved = changes.filter((c) => c.expectedVersion > 0);
  if (created.length > 0) {
    await tx.query(
      `insert into xsaga_streams (stream_id, machine_id, machine_version, version, status)
       select * from unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[])`,
      [
        created.map((c) => c.streamId),
        created.map((c) => c.machineId),
        created.map((c) => c.machineVersion),
        created.map((c) => c.events.length),
        created.map((c) => c.status),
      ],
    );
  }
  if (moved.length > 0) {
    const result = await tx.query(
      `update xsaga_streams s set version = u.next_version, status = u.status, updated_at = now()
         from unnest($1::text[], $2::int[], $3::int[], $4::text[]) as u(stream_id, expected, next_version, status)
        where s.stream_id = u.stream_id and s.version = u.expected`,
      [moved.map((c) => c.streamId), moved.map((c) => c.expectedVersion), moved.map((c) => c.expectedVersion + c.events.length), moved.map((c) => c.status)],
    );
    if (result.rowCount !== moved.length) {
      throw new XsagaError('CONCURRENCY', 'A stream moved past the version its writer read', { retryable: true });
    }
  }
}

async function writeEvents(tx: SqlQueryable, changes: readonly StreamChange[]): Promise<void> {
  const rows = changes.flatMap((c) => c.events.map((message, i) => ({ streamId: c.streamId, version: c.expectedVersion + i + 1, message })));
  if (rows.length === 0) return;
  await tx.query(
    `insert into xsaga_events (stream_id, version, type, data, metadata)
     select s, v, t, d::jsonb, m::jsonb from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[]) as u(s, v, t, d, m)`,
    [
      rows.map((r) => r.streamId),
      rows.map((r) => r.version),
      rows.map((r) => r.message.type),
      rows.map((r) => JSON.stringify(r.message.data ?? null)),
      rows.map((r) => JSON.stringify(r.message.metadata)),
    ],
  );
}

async function writeSnapshots(tx: SqlQueryable, changes: readonly StreamChange[]): Promise<void> {
  const rows = changes.filter((c) => c.snapshot);
  if (rows.length === 0) return;
  await tx.query(
    `insert into xsaga_snapshots (stream_id, version, machine_version, state)
     select s, v, mv, st::jsonb from unnest($1::text[], $2::int[], $3::int[], $4::text[]) as u(s, v, mv, st)
     on conflict (stream_id) do update set version = excluded.version, machine_version = excluded.machine_version, state = excluded.state
     where xsaga_snapshots.version < excluded.version`,
    [rows.map((c) => c.streamId), rows.map((c) => c.snapshot!.version), rows.map((c) => c.snapshot!.machineVersion), rows.map((c) => JSON.stringify(c.snapshot!.state))],
  );
}

async function writeOutbox(tx: SqlQueryable, changes: readonly StreamChange[]): Promise<void> {
  await insertOutbox(tx, changes.flatMap((c) => c.outbox.map((envelope) => ({ streamId: c.streamId, envelope }))));
}

async function insertOutbox(tx: SqlQueryable, rows: readonly { streamId: string; envelope: Envelope }[]): Promise<void> {
  if (rows.length === 0) return;
  // `with ordinality` keeps the ids in the order the rows were given: the relay publishes by id.
  await tx.query(
    `insert into xsaga_outbox (stream_id, topic, key, message)
     select s, t, k, m::jsonb from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as u(s, t, k, m, n) order by n`,
    [rows.map((r) => r.streamId), rows.map((r) => r.envelope.topic), rows.map((r) => r.envelope.key), rows.map((r) => JSON.stringify(r.envelope.message))],
  );
}

async function writeTimers(tx: SqlQueryable, changes: readonly StreamChange[]): Promise<void> {
  const cancelled = changes.flatMap((c) => c.timersCancelled.map((timerId) => ({ streamId: c.streamId, timerId })));
  if (cancelled.length > 0) {
    await tx.query(
      `delete from xsaga_timers t using unnest($1::text[], $2::text[]) as u(s, id) where t.stream_id = u.s and t.timer_id = u.id`,
      [cancelled.map((c) => c.streamId), cancelled.map((c) => c.timerId)],
    );
  }
  const armed = changes.flatMap((c) => c.timersArmed.map((timer: DurableTimer) => ({ streamId: c.streamId, timer })));
  if (armed.length === 0) return;
  // Re-arming a timer with the same id replaces it, as xstate does for a delayed event with the same id.
  await tx.query(
    `insert into xsaga_timers (stream_id, timer_id, due_at, armed_version, event)
     select s, id, d::timestamptz, v, e::jsonb from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[]) as u(s, id, d, v, e)
     on conflict (stream_id, timer_id) do update set due_at = excluded.due_at, armed_version = excluded.armed_version, event = excluded.event`,
    [
      armed.map((a) => a.streamId),
      armed.map((a) => a.timer.timerId),
      armed.map((a) => a.timer.dueAt),
      armed.map((a) => a.timer.armedVersion),
      armed.map((a) => JSON.stringify(a.timer.event)),
    ],
  );
}

async function writeAppliedMessages(tx: SqlQueryable, changes: readonly StreamChange[]): Promise<void> {
  const rows = changes.flatMap((c) => c.appliedMessageIds.map((id) => ({ id, streamId: c.streamId })));
  if (rows.length === 0) return;
  await tx.query(
    `insert into xsaga_applied_messages (message_id, stream_id) select * from unnest($1::text[], $2::text[])`,
    [rows.map((r) => r.id), rows.map((r) => r.streamId)],
  );
}
