import type pg from 'pg';
import type { Envelope, Message } from '../../runtime/message.ts';

/**
 * The baseline's writes to xsaga's own event-store tables (created by xsaga's migrations, so
 * rows, keys and indexes are the same), each a single hand-written statement: the fewest round
 * trips plain `pg` can do for the rows xsaga writes.
 */
export type OrderChange = Readonly<{
  streamId: string;
  /** 0 for a saga placed in this change. */
  expectedVersion: number;
  events: readonly Message[];
  status: 'active' | 'done';
  outbox: readonly Envelope[];
  armed: readonly Readonly<{ timerId: string; dueAt: string; armedVersion: number; event: unknown }>[];
  cancelled: readonly string[];
  applied: readonly string[];
}>;

/** A named statement: PostgreSQL plans it once per connection, as xsaga's client does for its own. */
const named = (name: string, text: string, values: unknown[]): pg.QueryConfig => ({ name: `baseline_${name}`, text, values });

const MACHINE = 'orderSaga';
const MACHINE_VERSION = 1;

/** Commits the changes of one batch in one statement; resolves to the ids of the outbox rows, in the changes' order. */
export async function commitChanges(db: pg.Pool, changes: readonly OrderChange[]): Promise<string[]> {
  const created = changes.filter((c) => c.expectedVersion === 0);
  const moved = changes.filter((c) => c.expectedVersion > 0);
  const events = changes.flatMap((c) => c.events.map((m, i) => ({ s: c.streamId, v: c.expectedVersion + i + 1, m })));
  const outbox = changes.flatMap((c) => c.outbox.map((e) => ({ s: c.streamId, e })));
  const cancelled = changes.flatMap((c) => c.cancelled.map((id) => ({ s: c.streamId, id })));
  const armed = changes.flatMap((c) => c.armed.map((t) => ({ s: c.streamId, t })));
  const applied = changes.flatMap((c) => c.applied.map((id) => ({ s: c.streamId, id })));
  // Every CTE runs, with empty arrays where a batch has nothing for a table: one statement text, planned once.
  const result = await db.query<{ ids: string[] }>(
    named(
      'commit',
      `with created as (
         insert into xsaga_streams (stream_id, machine_id, machine_version, version, status)
         select s, '${MACHINE}', ${MACHINE_VERSION}, v, st from unnest($1::text[], $2::int[], $3::text[]) as u(s, v, st)),
       moved as (
         update xsaga_streams t set version = u.v, status = u.st, updated_at = now()
           from unnest($4::text[], $5::int[], $6::int[], $7::text[]) as u(s, expected, v, st)
          where t.stream_id = u.s and t.version = u.expected),
       events as (
         insert into xsaga_events (stream_id, version, type, data, metadata)
         select s, v, t, d::jsonb, m::jsonb from unnest($8::text[], $9::int[], $10::text[], $11::text[], $12::text[]) as u(s, v, t, d, m)),
       outbox as (
         insert into xsaga_outbox (stream_id, topic, key, message)
         select s, t, k, m::jsonb from unnest($13::text[], $14::text[], $15::text[], $16::text[]) with ordinality as u(s, t, k, m, n) order by n
         returning id),
       cancelled as (
         delete from xsaga_timers t using unnest($17::text[], $18::text[]) as u(s, id) where t.stream_id = u.s and t.timer_id = u.id),
       armed as (
         insert into xsaga_timers (stream_id, timer_id, due_at, armed_version, event)
         select s, id, d::timestamptz, v, e::jsonb from unnest($19::text[], $20::text[], $21::text[], $22::int[], $23::text[]) as u(s, id, d, v, e)
         on conflict (stream_id, timer_id) do update set due_at = excluded.due_at, armed_version = excluded.armed_version, event = excluded.event),
       applied as (
         insert into xsaga_applied_messages (message_id, stream_id) select * from unnest($24::text[], $25::text[]))
       select array(select id from outbox order by id) as ids`,
      [
        created.map((c) => c.streamId),
        created.map((c) => c.events.length),
        created.map((c) => c.status),
        moved.map((c) => c.streamId),
        moved.map((c) => c.expectedVersion),
        moved.map((c) => c.expectedVersion + c.events.length),
        moved.map((c) => c.status),
        events.map((e) => e.s),
        events.map((e) => e.v),
        events.map((e) => e.m.type),
        events.map((e) => JSON.stringify(e.m.data ?? null)),
        events.map((e) => JSON.stringify(e.m.metadata)),
        outbox.map((o) => o.s),
        outbox.map((o) => o.e.topic),
        outbox.map((o) => o.e.key),
        outbox.map((o) => JSON.stringify(o.e.message)),
        cancelled.map((c) => c.s),
        cancelled.map((c) => c.id),
        armed.map((a) => a.s),
        armed.map((a) => a.t.timerId),
        armed.map((a) => a.t.dueAt),
        armed.map((a) => a.t.armedVersion),
        armed.map((a) => JSON.stringify(a.t.event)),
        applied.map((a) => a.id),
        applied.map((a) => a.s),
      ],
    ),
  );
  return result.rows[0]!.ids.map(String);
}

/** Message ids among `ids` already applied: the bus delivers at least once. */
export async function appliedAmong(db: pg.Pool, ids: readonly string[]): Promise<Set<string>> {
  const result = await db.query<{ message_id: string }>(named('applied', 'select message_id from xsaga_applied_messages where message_id = any($1::text[])', [ids]));
  return new Set(result.rows.map((r) => r.message_id));
}

export async function markPublished(db: pg.Pool, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db.query(named('published', 'update xsaga_outbox set published_at = now() where id = any($1::bigint[])', [ids]));
}

/**
 * Fires the timers due by `now` in one statement: each row deleted and turned into an outbox row
 * of a `TimerFired` inbox message (xsaga's envelope); resolves to the envelopes with their ids.
 */
export async function fireDueTimers(db: pg.Pool, inboxTopic: string, now: string, limit: number): Promise<{ ids: string[]; envelopes: Envelope[] }> {
  const result = await db.query<{ id: string; key: string; message: Message }>(
    named(
      'fire',
      `with due as (
         delete from xsaga_timers t
          using (select stream_id, timer_id from xsaga_timers where due_at <= $1::timestamptz order by due_at limit $2 for update skip locked) d
          where t.stream_id = d.stream_id and t.timer_id = d.timer_id
         returning t.stream_id, t.timer_id, t.due_at, t.armed_version, t.event),
       fired as (
         insert into xsaga_outbox (stream_id, topic, key, message)
         select stream_id, $3, stream_id, jsonb_build_object(
                  'type', 'TimerFired',
                  'data', jsonb_build_object('timerId', timer_id, 'event', event, 'armedVersion', armed_version, 'dueAt', due_at),
                  'metadata', jsonb_build_object('messageId', 'timer/' || stream_id || '/' || timer_id || '/' || armed_version,
                    'correlationId', stream_id, 'causationId', stream_id || '/' || armed_version, 'occurredAt', due_at))
           from due
         returning id, key, message)
       select id, key, message from fired order by id`,
      [now, limit, inboxTopic],
    ),
  );
  return {
    ids: result.rows.map((r) => String(r.id)),
    envelopes: result.rows.map((r) => ({ topic: inboxTopic, key: r.key, message: r.message })),
  };
}
