import type { SqlQueryable } from '../runtime/sqlClient.ts';

/** Rows of the tables that grow with traffic but are no history: what retention keeps flat. */
export type HousekeepingRows = Readonly<{
  publishedOutbox: number;
  pendingOutbox: number;
  appliedMessageIds: number;
  idempotencyKeys: number;
  timers: number;
  /** Timers left behind by sagas that ended: none, since leaving a state cancels its timers. */
  timersOfFinishedSagas: number;
  deadLetters: number;
}>;

export async function countHousekeepingRows(sql: SqlQueryable): Promise<HousekeepingRows> {
  const result = await sql.query<Record<keyof HousekeepingRows, string | number>>(
    `select (select count(*) from xsaga_outbox where published_at is not null) as "publishedOutbox",
            (select count(*) from xsaga_outbox where published_at is null) as "pendingOutbox",
            (select count(*) from xsaga_applied_messages) as "appliedMessageIds",
            (select count(*) from xsaga_idempotency_keys) as "idempotencyKeys",
            (select count(*) from xsaga_timers) as "timers",
            (select count(*) from xsaga_timers t join xsaga_streams s on s.stream_id = t.stream_id and s.status = 'done') as "timersOfFinishedSagas",
            (select count(*) from xsaga_dead_letters) as "deadLetters"`,
  );
  const row = result.rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([name, n]) => [name, Number(n)])) as HousekeepingRows;
}

export function formatHousekeepingRows(rows: HousekeepingRows): string {
  return `outbox ${rows.publishedOutbox} published + ${rows.pendingOutbox} pending, applied ids ${rows.appliedMessageIds}, idempotency keys ${rows.idempotencyKeys}, timers ${rows.timers} (${rows.timersOfFinishedSagas} of finished sagas), dead letters ${rows.deadLetters}`;
}
