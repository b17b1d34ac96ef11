import type { Message } from '../../runtime/message.ts';
import type { DurableTimer } from '../../runtime/sagaStore.ts';
import type { SqlQueryable } from '../../runtime/sqlClient.ts';

/** One outbox row of a stream, as the SQL store keeps it. */
export type OutboxRow = Readonly<{ topic: string; message: Message; published: boolean }>;

/** The outbox rows of one stream, in commit order: what the tests check a saga wrote besides its events. */
export async function outboxOf(sql: SqlQueryable, streamId: string): Promise<OutboxRow[]> {
  const result = await sql.query<{ topic: string; message: Message; published_at: unknown }>(
    'select topic, message, published_at from xsaga_outbox where stream_id = $1 order by id',
    [streamId],
  );
  return result.rows.map((row) => ({ topic: row.topic, message: row.message, published: row.published_at !== null }));
}

/** The durable timers a stream has armed and not yet fired or cancelled. */
export async function timersOf(sql: SqlQueryable, streamId: string): Promise<DurableTimer[]> {
  const result = await sql.query<{ timer_id: string; due_at: Date | string; armed_version: number; event: unknown }>(
    'select timer_id, due_at, armed_version, event from xsaga_timers where stream_id = $1 order by timer_id',
    [streamId],
  );
  return result.rows.map((row) => ({ timerId: row.timer_id, dueAt: new Date(row.due_at).toISOString(), armedVersion: row.armed_version, event: row.event }));
}

/** Every row of the event store that a migration could change, as text: equal before and after, nothing was written. */
export async function eventStoreRows(sql: SqlQueryable): Promise<string> {
  const tables = ['xsaga_streams', 'xsaga_events', 'xsaga_snapshots', 'xsaga_timers', 'xsaga_outbox'];
  const rows = await Promise.all(tables.map((table) => sql.query(`select * from ${table} order by 1, 2`)));
  return JSON.stringify(rows.map((result) => result.rows));
}
