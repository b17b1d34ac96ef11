import type { DeadLetter } from '../../runtime/deadLetter.ts';
import type { StreamChange } from '../../runtime/sagaStore.ts';

/** SQLSTATEs the commit statement raises through `xsaga_expect_rows` when a check fails. */
export const COMMIT_FAILURES = {
  /** A stream moved past the version its writer read. */
  concurrency: 'XSCON',
  /** An Idempotency-Key was taken by a concurrent request. */
  idempotencyKeyTaken: 'XSIDK',
} as const;

/** The function the commit statement checks row counts with; `create or replace` keeps it idempotent. */
export const EXPECT_ROWS_FUNCTION = `create or replace function xsaga_expect_rows(actual bigint, expected bigint, failure text) returns boolean
  language plpgsql as $$
  begin
    if actual <> expected then
      raise exception 'xsaga: % of % rows written', actual, expected using errcode = failure;
    end if;
    return true;
  end $$`;

/**
 * The whole commit of a batch as one statement, so one round trip and PostgreSQL's implicit
 * transaction: each table's rows are one data-modifying CTE (a multi-row insert from arrays), and
 * the final select checks the row counts that must match (heads moved from the expected version,
 * idempotency keys taken) and raises, undoing everything, when one does not. It returns the ids of
 * the outbox rows written, in the order of the changes' envelopes then the dead letters' (column
 * `outbox_ids`).
 */
export function commitStatement(
  changes: readonly StreamChange[],
  deadLetters: readonly DeadLetter[] = [],
  /** A notification sent if, and when, the statement commits (PostgreSQL's NOTIFY is transactional). */
  notify?: Readonly<{ channel: string; payload: string }>,
): { text: string; values: unknown[] } {
  const { values, param } = parameters();
  const ctes: string[] = [];
  const selected: string[] = [];
  const expectRows = (cte: string, expected: number, failure: string) =>
    selected.push(`xsaga_expect_rows((select count(*) from ${cte}), ${expected}, '${failure}')`);

  const keyed = changes.filter((c) => c.idempotencyKey);
  if (keyed.length > 0) {
    ctes.push(`keys as (
      insert into xsaga_idempotency_keys (key, stream_id, request_hash)
      select * from unnest(${param(keyed.map((c) => c.idempotencyKey!.key), 'text[]')}, ${param(keyed.map((c) => c.streamId), 'text[]')}, ${param(keyed.map((c) => c.idempotencyKey!.requestHash), 'text[]')})
      on conflict (key) do nothing returning 1)`);
    expectRows('keys', keyed.length, COMMIT_FAILURES.idempotencyKeyTaken);
  }

  const created = changes.filter((c) => c.expectedVersion === 0);
  if (created.length > 0) {
    ctes.push(`created as (
      insert into xsaga_streams (stream_id, machine_id, machine_version, version, status, machine_fingerprint)
      select * from unnest(${param(created.map((c) => c.streamId), 'text[]')}, ${param(created.map((c) => c.machineId), 'text[]')}, ${param(created.map((c) => c.machineVersion), 'int[]')}, ${param(created.map((c) => c.events.length), 'int[]')}, ${param(created.map((c) => c.status), 'text[]')}, ${param(created.map((c) => c.machineFingerprint ?? null), 'text[]')}))`);
  }

  const moved = changes.filter((c) => c.expectedVersion > 0);
  if (moved.length > 0) {
    ctes.push(`moved as (
      update xsaga_streams s set version = u.next_version, status = u.status, updated_at = now(),
             machine_version = u.machine_version, machine_fingerprint = coalesce(u.fingerprint, s.machine_fingerprint)
        from unnest(${param(moved.map((c) => c.streamId), 'text[]')}, ${param(moved.map((c) => c.expectedVersion), 'int[]')}, ${param(moved.map((c) => c.expectedVersion + c.events.length), 'int[]')}, ${param(moved.map((c) => c.status), 'text[]')}, ${param(moved.map((c) => c.machineVersion), 'int[]')}, ${param(moved.map((c) => c.machineFingerprint ?? null), 'text[]')}) as u(stream_id, expected, next_version, status, machine_version, fingerprint)
       where s.stream_id = u.stream_id and s.version = u.expected
      returning 1)`);
    expectRows('moved', moved.length, COMMIT_FAILURES.concurrency);
  }

  const events = changes.flatMap((c) => c.events.map((message, i) => ({ streamId: c.streamId, version: c.expectedVersion + i + 1, message })));
  if (events.length > 0) {
    ctes.push(`events as (
      insert into xsaga_events (stream_id, version, type, data, metadata)
      select s, v, t, d::jsonb, m::jsonb from unnest(${param(events.map((e) => e.streamId), 'text[]')}, ${param(events.map((e) => e.version), 'int[]')}, ${param(events.map((e) => e.message.type), 'text[]')}, ${param(events.map((e) => JSON.stringify(e.message.data ?? null)), 'text[]')}, ${param(events.map((e) => JSON.stringify(e.message.metadata)), 'text[]')}) as u(s, v, t, d, m))`);
  }

  const snapshots = changes.filter((c) => c.snapshot);
  if (snapshots.length > 0) {
    ctes.push(`snapshots as (
      insert into xsaga_snapshots (stream_id, version, machine_version, state, awaiting, times)
      select s, v, mv, st::jsonb, aw::jsonb, ti::jsonb from unnest(${param(snapshots.map((c) => c.streamId), 'text[]')}, ${param(snapshots.map((c) => c.snapshot!.version), 'int[]')}, ${param(snapshots.map((c) => c.snapshot!.machineVersion), 'int[]')}, ${param(snapshots.map((c) => JSON.stringify(c.snapshot!.state)), 'text[]')}, ${param(snapshots.map((c) => (c.snapshot!.awaiting ? JSON.stringify(c.snapshot!.awaiting) : null)), 'text[]')}, ${param(snapshots.map((c) => (c.snapshot!.times ? JSON.stringify(c.snapshot!.times) : null)), 'text[]')}) as u(s, v, mv, st, aw, ti)
      on conflict (stream_id) do update set version = excluded.version, machine_version = excluded.machine_version, state = excluded.state, awaiting = excluded.awaiting, times = excluded.times
      where xsaga_snapshots.version < excluded.version)`);
  }

  if (deadLetters.length > 0) {
    // A letter the same consumer wrote before is kept as it was; its applied id (below) still guards against a second one.
    ctes.push(`dead as (${deadLetterRows(deadLetters, param)})`);
  }

  const outbox = [
    ...changes.flatMap((c) => c.outbox.map((envelope) => ({ streamId: c.streamId, envelope }))),
    ...deadLetters.map((letter) => ({ streamId: letter.streamId, envelope: letter.envelope })),
  ];
  if (outbox.length > 0) {
    ctes.push(`outbox as (${outboxRows(outbox, param)} returning id)`);
    selected.push('array(select id from outbox order by id) as outbox_ids');
  }

  // A timer id is never both cancelled and armed by one change, so these two never touch the same row.
  const cancelled = changes.flatMap((c) => c.timersCancelled.map((timerId) => ({ streamId: c.streamId, timerId })));
  if (cancelled.length > 0) {
    ctes.push(`cancelled as (
      delete from xsaga_timers t using unnest(${param(cancelled.map((c) => c.streamId), 'text[]')}, ${param(cancelled.map((c) => c.timerId), 'text[]')}) as u(s, id)
       where t.stream_id = u.s and t.timer_id = u.id)`);
  }
  // A migration drops the stream's other timers; those it arms again are left to the upsert below, so no row is touched twice.
  const cleared = changes.filter((c) => c.cancelAllTimers);
  if (cleared.length > 0) {
    ctes.push(`cleared as (
      delete from xsaga_timers t using unnest(${param(cleared.map((c) => c.streamId), 'text[]')}, ${param(cleared.map((c) => JSON.stringify(c.timersArmed.map((timer) => timer.timerId))), 'text[]')}) as u(s, kept)
       where t.stream_id = u.s and not (u.kept::jsonb ? t.timer_id))`);
  }
  const armed = changes.flatMap((c) => c.timersArmed.map((timer) => ({ streamId: c.streamId, timer })));
  if (armed.length > 0) {
    // Re-arming a timer with the same id replaces it, as xstate does for a delayed event with the same id.
    ctes.push(`armed as (
      insert into xsaga_timers (stream_id, timer_id, due_at, armed_version, event, traceparent, tracestate)
      select s, id, d::timestamptz, v, e::jsonb, tp, ts from unnest(${param(armed.map((a) => a.streamId), 'text[]')}, ${param(armed.map((a) => a.timer.timerId), 'text[]')}, ${param(armed.map((a) => a.timer.dueAt), 'text[]')}, ${param(armed.map((a) => a.timer.armedVersion), 'int[]')}, ${param(armed.map((a) => JSON.stringify(a.timer.event)), 'text[]')}, ${param(armed.map((a) => a.timer.trace?.traceparent ?? null), 'text[]')}, ${param(armed.map((a) => a.timer.trace?.tracestate ?? null), 'text[]')}) as u(s, id, d, v, e, tp, ts)
      on conflict (stream_id, timer_id) do update set due_at = excluded.due_at, armed_version = excluded.armed_version, event = excluded.event, traceparent = excluded.traceparent, tracestate = excluded.tracestate)`);
  }

  const applied = [
    ...changes.flatMap((c) => c.appliedMessageIds.map((id) => ({ id, streamId: c.streamId }))),
    ...deadLetters.filter((letter) => letter.markApplied).map((letter) => ({ id: letter.messageKey, streamId: letter.streamId })),
  ];
  if (applied.length > 0) {
    ctes.push(`applied as (
      insert into xsaga_applied_messages (message_id, stream_id)
      select * from unnest(${param(applied.map((a) => a.id), 'text[]')}, ${param(applied.map((a) => a.streamId), 'text[]')}))`);
  }

  if (notify) selected.push(`pg_notify(${param(notify.channel, 'text')}, ${param(notify.payload, 'text')})`);

  const text = `${ctes.length > 0 ? `with ${ctes.join(',\n')}\n` : ''}select ${selected.length > 0 ? selected.join(', ') : '1'}`;
  return { text, values };
}

type Param = (value: unknown, type: string) => string;

/** Numbered statement parameters: `param(value, 'text[]')` adds one and gives `$n::text[]`. */
export function parameters(): { values: unknown[]; param: Param } {
  const values: unknown[] = [];
  return {
    values,
    param: (value, type) => {
      values.push(value);
      return `$${values.length}::${type}`;
    },
  };
}

/** An insert of dead-letter rows that leaves one already there as it is. */
export function deadLetterRows(letters: readonly DeadLetter[], param: Param): string {
  const column = <T>(pick: (letter: DeadLetter) => T, type: string) => param(letters.map(pick), type);
  return `insert into xsaga_dead_letters (id, consumer, stream_id, machine, message_key, message, message_text, error, reason, attempts)
    select id, c, s, mc, k, case when j then m::jsonb end, case when j then null else m end, e, r, a
      from unnest(${column((l) => l.id, 'text[]')}, ${column((l) => l.consumer, 'text[]')}, ${column((l) => l.streamId, 'text[]')}, ${column((l) => l.machine ?? null, 'text[]')}, ${column((l) => l.messageKey, 'text[]')}, ${column((l) => l.messageJson, 'text[]')}, ${column((l) => l.storableAsJsonb, 'boolean[]')}, ${column((l) => l.error, 'text[]')}, ${column((l) => l.reason, 'text[]')}, ${column((l) => l.attempts, 'int[]')}) as u(id, c, s, mc, k, m, j, e, r, a)
    on conflict (id) do nothing`;
}

/** An insert of outbox rows keeping the given order in their ids (the relay publishes by id). */
export function outboxRows(rows: readonly { streamId: string; envelope: { topic: string; key: string; message: unknown } }[], param: Param): string {
  return `insert into xsaga_outbox (stream_id, topic, key, message)
    select s, t, k, m::jsonb from unnest(${param(rows.map((r) => r.streamId), 'text[]')}, ${param(rows.map((r) => r.envelope.topic), 'text[]')}, ${param(rows.map((r) => r.envelope.key), 'text[]')}, ${param(rows.map((r) => JSON.stringify(r.envelope.message)), 'text[]')}) with ordinality as u(s, t, k, m, n) order by n`;
}
