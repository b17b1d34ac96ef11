import type { ArchivedStream, SagaStore, StoredEvent, StreamHead } from '../../runtime/sagaStore.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';

type FinishedRow = { stream_id: string; machine_id: string; machine_version: number; version: number; updated_at: Date | string };
type EventRow = { stream_id: string; version: number; type: string; data: unknown; metadata: StoredEvent['message']['metadata'] };

/** Every table that holds rows of a stream; the stream row itself goes last. */
const TABLES_OF_A_STREAM = ['xsaga_events', 'xsaga_snapshots', 'xsaga_outbox', 'xsaga_timers', 'xsaga_applied_messages', 'xsaga_idempotency_keys'] as const;

/** A finished stream whose last messages are not all published yet must stay: its outbox rows are their only copy. */
const UNPUBLISHED = `exists (select 1 from xsaga_outbox o where o.stream_id = s.stream_id and o.published_at is null)`;

/** The archive side of the SQL store: finished streams read whole, then deleted whole. */
export function sqlArchive(sql: SqlClient): Pick<SagaStore, 'finishedStreams' | 'deleteFinished'> {
  return {
    async finishedStreams(before, limit) {
      const heads = await sql.query<FinishedRow>(
        `select stream_id, machine_id, machine_version, version, updated_at from xsaga_streams s
          where status = 'done' and updated_at < $1::timestamptz and not ${UNPUBLISHED} order by updated_at, stream_id limit $2`,
        [before, limit],
      );
      if (heads.rows.length === 0) return [];
      const events = await sql.query<EventRow>(
        'select stream_id, version, type, data, metadata from xsaga_events where stream_id = any($1::text[]) order by stream_id, version',
        [heads.rows.map((row) => row.stream_id)],
      );
      const eventsOf = new Map<string, StoredEvent[]>();
      for (const row of events.rows) {
        const list = eventsOf.get(row.stream_id) ?? [];
        list.push({ version: row.version, message: { type: row.type, data: row.data, metadata: row.metadata } });
        eventsOf.set(row.stream_id, list);
      }
      return heads.rows.map((row): ArchivedStream => {
        const head: StreamHead = { streamId: row.stream_id, machineId: row.machine_id, machineVersion: row.machine_version, version: row.version, status: 'done' };
        return { head, finishedAt: new Date(row.updated_at).toISOString(), events: eventsOf.get(row.stream_id) ?? [] };
      });
    },

    async deleteFinished(streamIds) {
      if (streamIds.length === 0) return [];
      return sql.transaction(async (tx) => {
        // Locked first: a stream cannot be written between the check that it is done and its deletion.
        const done = await tx.query<{ stream_id: string }>(
          `select stream_id from xsaga_streams s where stream_id = any($1::text[]) and status = 'done' and not ${UNPUBLISHED} order by stream_id for update`,
          [streamIds],
        );
        const ids = done.rows.map((row) => row.stream_id);
        if (ids.length === 0) return [];
        for (const table of TABLES_OF_A_STREAM) await tx.query(`delete from ${table} where stream_id = any($1::text[])`, [ids]);
        await tx.query('delete from xsaga_streams where stream_id = any($1::text[])', [ids]);
        return ids;
      });
    },
  };
}
