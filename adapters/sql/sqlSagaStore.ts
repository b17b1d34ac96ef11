import type { DeadLetter } from '../../runtime/deadLetter.ts';
import { XsagaError } from '../../runtime/errors.ts';
import type { Message } from '../../runtime/message.ts';
import type {
  IdempotencyRecord,
  LoadedStream,
  OutboxRecord,
  SagaStore,
  StoredEvent,
  StreamChange,
  StreamHead,
  StreamStatus,
} from '../../runtime/sagaStore.ts';
import type { SagaTimes } from '../../runtime/sagaTimes.ts';
import { sqlStateOf, UNIQUE_VIOLATION, type SqlClient, type SqlQueryable } from '../../runtime/sqlClient.ts';
import { COMMIT_FAILURES, commitStatement } from './commitStatement.ts';
import { insertOutbox } from './insertOutbox.ts';
import { sqlBacklog } from './sqlBacklog.ts';
import { isoOf, sqlDeadLetters } from './sqlDeadLetters.ts';
import { migrateSagaStore } from './schema.ts';
import { sqlArchive } from './sqlArchive.ts';
import { sqlRetention } from './sqlRetention.ts';
import { wellFormedTraceContext } from '../../runtime/traceContext.ts';

type HeadRow = { stream_id: string; machine_id: string; machine_version: number; version: number; status: StreamStatus; machine_fingerprint?: string | null };
type EventRow = { version: number; type: string; data: unknown; metadata: Message['metadata'] };
type OutboxRow = { id: string; topic: string; key: string; message: Message };
type TimerRow = { stream_id: string; timer_id: string; due_at: Date | string; armed_version: number; event: unknown; traceparent: string | null; tracestate: string | null };
const toHead = (row: HeadRow): StreamHead => ({
  streamId: row.stream_id,
  machineId: row.machine_id,
  machineVersion: row.machine_version,
  version: row.version,
  status: row.status,
  ...(row.machine_fingerprint ? { machineFingerprint: row.machine_fingerprint } : {}),
});

const toOutboxRecord = (row: OutboxRow): OutboxRecord => ({
  id: String(row.id),
  envelope: { topic: row.topic, key: row.key, message: row.message },
});

/** Where commits tell the timer scheduler of timers due soon. */
const TIMERS_ARMED_CHANNEL = 'xsaga_timers_armed';

/**
 * How soon a timer must be due for its commit to tell the scheduler, which otherwise finds it at its
 * next look (at most half a second away): a payment deadline minutes away needs no notification.
 */
const ARMED_SOON_MS = 1000;

/** The earliest due time the changes arm, if it is less than `ARMED_SOON_MS` away. */
function soonestArmedSoon(changes: readonly StreamChange[]): string | undefined {
  let soonest: string | undefined;
  let soonestMs = Infinity;
  for (const change of changes) {
    for (const timer of change.timersArmed) {
      const dueMs = Date.parse(timer.dueAt);
      if (dueMs < soonestMs) [soonest, soonestMs] = [timer.dueAt, dueMs];
    }
  }
  return soonestMs - Date.now() < ARMED_SOON_MS ? soonest : undefined;
}

/**
 * The event store on any PostgreSQL dialect (PGlite embedded, PostgreSQL in production).
 * A batch is written with one multi-row statement per table: that is what makes a transaction
 * over hundreds of sagas cheap.
 */
export async function createSqlSagaStore(sql: SqlClient, options: { migrate?: boolean } = {}): Promise<SagaStore> {
  if (options.migrate !== false) await migrateSagaStore(sql);
  const armedWatchers = new Set<(dueAt: string) => void>();

  async function commit(changes: readonly StreamChange[], deadLetters: readonly DeadLetter[] = []): Promise<readonly OutboxRecord[]> {
    if (changes.length === 0 && deadLetters.length === 0) return [];
    const soon = soonestArmedSoon(changes);
    const notifications = sql.notifications;
    const statement = commitStatement(changes, deadLetters, soon && notifications ? { channel: notifications.channel(TIMERS_ARMED_CHANNEL), payload: soon } : undefined);
    try {
      const result = await sql.query<{ outbox_ids?: (string | number)[] }>(statement.text, statement.values);
      if (soon) for (const watcher of armedWatchers) watcher(soon);
      const ids = result.rows[0]?.outbox_ids ?? [];
      const envelopes = [...changes.flatMap((c) => c.outbox), ...deadLetters.map((letter) => letter.envelope)];
      return envelopes.map((envelope, i) => ({ id: String(ids[i]), envelope }));
    } catch (error) {
      const state = sqlStateOf(error);
      if (state === UNIQUE_VIOLATION || state === COMMIT_FAILURES.concurrency) {
        throw new XsagaError('CONCURRENCY', 'A stream or message was written concurrently', { retryable: true, cause: error });
      }
      if (state === COMMIT_FAILURES.idempotencyKeyTaken) {
        throw new XsagaError('IDEMPOTENCY_KEY_REUSED', 'The Idempotency-Key was used by a concurrent request', { retryable: true, cause: error });
      }
      throw error;
    }
  }

  /**
   * Heads with their snapshots and every later event, in one query: a saga worker loads the sagas of
   * a batch it has not cached, and at low load that is one saga per batch, so a second round trip
   * for the events was a statement per saga. The events come as one JSON array per stream, each event an array of its columns.
   */
  async function loadMany(streamIds: readonly string[]): Promise<ReadonlyMap<string, LoadedStream>> {
    const loaded = new Map<string, LoadedStream>();
    if (streamIds.length === 0) return loaded;
    const heads = await sql.query<
      HeadRow & {
        snapshot_version: number | null;
        snapshot_machine_version: number | null;
        snapshot_state: unknown;
        snapshot_awaiting: [string, string][] | null;
        snapshot_times: SagaTimes | null;
        events: [EventRow['version'], EventRow['type'], EventRow['data'], EventRow['metadata']][] | null;
      }
    >(
      `select s.*, sn.version as snapshot_version, sn.machine_version as snapshot_machine_version, sn.state as snapshot_state, sn.awaiting as snapshot_awaiting,
              sn.times as snapshot_times,
              (select json_agg(json_build_array(e.version, e.type, e.data, e.metadata) order by e.version)
                 from xsaga_events e
                where e.stream_id = s.stream_id and e.version > coalesce(sn.version, 0)) as events
         from xsaga_streams s left join xsaga_snapshots sn on sn.stream_id = s.stream_id
        where s.stream_id = any($1::text[])`,
      [streamIds],
    );
    for (const row of heads.rows) {
      const snapshot =
        row.snapshot_version === null
          ? undefined
          : {
              version: row.snapshot_version,
              machineVersion: row.snapshot_machine_version!,
              state: row.snapshot_state,
              ...(row.snapshot_awaiting === null ? {} : { awaiting: row.snapshot_awaiting }),
              ...(row.snapshot_times === null ? {} : { times: row.snapshot_times }),
            };
      const streamEvents: StoredEvent[] = (row.events ?? []).map(([version, type, data, metadata]) => ({ version, message: { type, data, metadata } }));
      // The stream's version is what its events say.
      const version = streamEvents.at(-1)?.version ?? snapshot?.version ?? row.version;
      loaded.set(row.stream_id, { head: { ...toHead(row), version }, snapshot, events: streamEvents });
    }
    return loaded;
  }

  return {
    commit,

    async watchArmedTimers(onArmed) {
      armedWatchers.add(onArmed);
      const unlisten = await sql.notifications?.listen(TIMERS_ARMED_CHANNEL, onArmed);
      return async () => {
        armedWatchers.delete(onArmed);
        await unlisten?.();
      };
    },

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

    async pendingOutbox(limit, { olderThanMs } = {}) {
      // The database's own clock on both sides of the comparison: no skew between hosts.
      const result = await sql.query<OutboxRow>(
        olderThanMs === undefined
          ? 'select id, topic, key, message from xsaga_outbox where published_at is null order by id limit $1'
          : `select id, topic, key, message from xsaga_outbox where published_at is null and created_at < now() - make_interval(secs => $2::double precision / 1000) order by id limit $1`,
        olderThanMs === undefined ? [limit] : [limit, olderThanMs],
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
            trace: wellFormedTraceContext({ traceparent: row.traceparent ?? undefined, tracestate: row.tracestate ?? undefined }),
          }),
        }));
        return insertOutbox(tx, fired);
      });
    },

    async nextTimerDue() {
      const result = await sql.query<{ due_at: Date | string }>('select min(due_at) as due_at from xsaga_timers');
      const due = result.rows[0]?.due_at;
      return due ? isoOf(due) : undefined;
    },

    async listStreams({ afterStreamId = '', limit, status }) {
      // With a status of 'active', the partial index xsaga_streams_active serves the page.
      const result = await sql.query<HeadRow>(
        status === undefined
          ? 'select * from xsaga_streams where stream_id > $1 order by stream_id limit $2'
          : 'select * from xsaga_streams where stream_id > $1 and status = $3 order by stream_id limit $2',
        status === undefined ? [afterStreamId, limit] : [afterStreamId, limit, status],
      );
      return result.rows.map(toHead);
    },

    ...sqlDeadLetters(sql),
    ...sqlRetention(sql),
    ...sqlArchive(sql),
    ...sqlBacklog(sql),

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
