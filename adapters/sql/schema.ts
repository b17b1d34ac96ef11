import { migrate } from '../../runtime/migrate.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { EXPECT_ROWS_FUNCTION } from './commitStatement.ts';

/**
 * The event store's tables. Plain PostgreSQL that PGlite runs unchanged; every statement is
 * idempotent so start-up can apply it on every boot.
 */
const statements = [
  `create table if not exists xsaga_streams (
     stream_id text primary key,
     machine_id text not null,
     machine_version integer not null,
     version integer not null,
     status text not null,
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now())`,
  `create index if not exists xsaga_streams_active on xsaga_streams (stream_id) where status = 'active'`,
  `create table if not exists xsaga_events (
     stream_id text not null,
     version integer not null,
     type text not null,
     data jsonb not null,
     metadata jsonb not null,
     primary key (stream_id, version))`,
  `create table if not exists xsaga_snapshots (
     stream_id text primary key,
     version integer not null,
     machine_version integer not null,
     state jsonb not null)`,
  `create table if not exists xsaga_outbox (
     id bigserial primary key,
     stream_id text not null,
     topic text not null,
     key text not null,
     message jsonb not null,
     published_at timestamptz)`,
  // When the row was committed: the relay's sweep leaves young rows to the process that wrote them.
  `alter table xsaga_outbox add column if not exists created_at timestamptz not null default now()`,
  `create index if not exists xsaga_outbox_pending on xsaga_outbox (id) where published_at is null`,
  `create index if not exists xsaga_outbox_stream on xsaga_outbox (stream_id)`,
  `create table if not exists xsaga_timers (
     stream_id text not null,
     timer_id text not null,
     due_at timestamptz not null,
     armed_version integer not null,
     event jsonb not null,
     primary key (stream_id, timer_id))`,
  `create index if not exists xsaga_timers_due on xsaga_timers (due_at)`,
  `create table if not exists xsaga_applied_messages (
     message_id text primary key,
     stream_id text not null)`,
  `create table if not exists xsaga_idempotency_keys (
     key text primary key,
     stream_id text not null,
     request_hash text not null)`,
  // The commands the fold awaited at the snapshot's version; a snapshot without them is replayed from the events.
  `alter table xsaga_snapshots add column if not exists awaiting jsonb`,
  // Messages taken out of the flow; `message` is null and `message_text` holds the JSON when jsonb refused it.
  `create table if not exists xsaga_dead_letters (
     id text primary key,
     consumer text not null,
     stream_id text not null,
     machine text,
     message_key text not null,
     message jsonb,
     message_text text,
     error text not null,
     reason text not null,
     attempts integer not null,
     created_at timestamptz not null default now(),
     replayed_at timestamptz)`,
  `create index if not exists xsaga_dead_letters_stream on xsaga_dead_letters (stream_id, created_at)`,
  `create index if not exists xsaga_dead_letters_created on xsaga_dead_letters (created_at)`,
  // Retention (sqlRetention.ts) prunes by age: rows written before these columns existed count from the upgrade.
  `alter table xsaga_applied_messages add column if not exists created_at timestamptz not null default now()`,
  `alter table xsaga_idempotency_keys add column if not exists created_at timestamptz not null default now()`,
  `create index if not exists xsaga_outbox_published on xsaga_outbox (created_at) where published_at is not null`,
  `create index if not exists xsaga_applied_messages_created on xsaga_applied_messages (created_at)`,
  `create index if not exists xsaga_idempotency_keys_created on xsaga_idempotency_keys (created_at)`,
  // The archive takes finished streams oldest first.
  `create index if not exists xsaga_streams_finished on xsaga_streams (updated_at) where status = 'done'`,
  // The trace context of the transition that armed a timer, which its firing continues; null before tracing existed or while it is off.
  `alter table xsaga_timers add column if not exists traceparent text`,
  `alter table xsaga_timers add column if not exists tracestate text`,
  // When the saga began and entered the snapshot's state: its duration and dwell times survive a hydration (metrics).
  `alter table xsaga_snapshots add column if not exists times jsonb`,
  // The fingerprint of the machine a stream runs on (runtime/machineFingerprint.ts); null on streams started before it was kept.
  `alter table xsaga_streams add column if not exists machine_fingerprint text`,
  EXPECT_ROWS_FUNCTION,
];

export async function migrateSagaStore(sql: SqlClient): Promise<void> {
  await migrate(sql, 7_100_001, statements);
}
