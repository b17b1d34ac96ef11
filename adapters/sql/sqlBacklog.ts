import type { SagaStore, StoreBacklog } from '../../runtime/sagaStore.ts';
import type { SqlQueryable } from '../../runtime/sqlClient.ts';

type BacklogRow = {
  outbox_unpublished: string | number;
  outbox_oldest_ms: string | number | null;
  timers_pending: string | number;
  timers_overdue: string | number;
  timers_oldest_overdue_ms: string | number | null;
  dead_lettered_sagas: string | number;
};

/**
 * One statement, ages by the database's clock (the one that stamps the rows). Unpublished outbox
 * rows are read through their partial index and timers are bounded by the sagas in flight, so it
 * stays cheap however much history the store holds.
 */
const BACKLOG = `select o.unpublished as outbox_unpublished,
       extract(epoch from now() - o.oldest) * 1000 as outbox_oldest_ms,
       t.pending as timers_pending, t.overdue as timers_overdue,
       extract(epoch from now() - t.oldest_due) * 1000 as timers_oldest_overdue_ms,
       d.sagas as dead_lettered_sagas
  from (select count(*) as unpublished, min(created_at) as oldest from xsaga_outbox where published_at is null) o,
       (select count(*) as pending, count(*) filter (where due_at <= now()) as overdue, min(due_at) filter (where due_at <= now()) as oldest_due
          from xsaga_timers) t,
       (select count(distinct stream_id) as sagas from xsaga_dead_letters where replayed_at is null) d`;

const numberOr = (value: string | number | null, fallback: number): number => (value === null ? fallback : Number(value));

/** What waits in the store, for gauges read at scrape time. */
export function sqlBacklog(sql: SqlQueryable): Pick<SagaStore, 'backlog'> {
  return {
    async backlog(): Promise<StoreBacklog> {
      const row = (await sql.query<BacklogRow>(BACKLOG)).rows[0]!;
      return {
        unpublishedOutbox: Number(row.outbox_unpublished),
        oldestUnpublishedAgeMs: Math.max(0, numberOr(row.outbox_oldest_ms, 0)),
        timersArmed: Number(row.timers_pending),
        timersOverdue: Number(row.timers_overdue),
        oldestOverdueAgeMs: Math.max(0, numberOr(row.timers_oldest_overdue_ms, 0)),
        sagasWithDeadLetters: Number(row.dead_lettered_sagas),
      };
    },
  };
}
