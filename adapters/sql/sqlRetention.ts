import type { PrunedRows, RetentionPolicy, SagaStore } from '../../runtime/sagaStore.ts';
import type { SqlQueryable } from '../../runtime/sqlClient.ts';

/** A row of a saga still in flight: its outbox is the embedded bus's log, its applied ids guard its whole history. */
const IN_FLIGHT = (alias: string) => `exists (select 1 from xsaga_streams s where s.stream_id = ${alias}.stream_id and s.status = 'active')`;

/**
 * One bounded batch per table: the oldest rows by the table's own `created_at` index, deleted by
 * primary key. `= any(array(…))` keeps the delete to those keys (with `in (…)` PostgreSQL scanned
 * the whole table for a hash join). Each statement is its own short transaction.
 */
const PRUNE_STATEMENTS = {
  publishedOutbox: `delete from xsaga_outbox where id = any(array(
      select o.id from xsaga_outbox o
       where o.published_at is not null and o.created_at < $1::timestamptz and not ${IN_FLIGHT('o')}
       order by o.created_at limit $2))`,
  appliedMessageIds: `delete from xsaga_applied_messages where message_id = any(array(
      select a.message_id from xsaga_applied_messages a
       where a.created_at < $1::timestamptz and not ${IN_FLIGHT('a')}
       order by a.created_at limit $2))`,
  idempotencyKeys: `delete from xsaga_idempotency_keys where key = any(array(
      select k.key from xsaga_idempotency_keys k join xsaga_streams s on s.stream_id = k.stream_id and s.status = 'done'
       where k.created_at < $1::timestamptz
       order by k.created_at limit $2))`,
} as const satisfies Record<keyof PrunedRows, string>;

const WINDOW_OF: Record<keyof PrunedRows, keyof RetentionPolicy> = {
  publishedOutbox: 'publishedOutboxMs',
  appliedMessageIds: 'appliedMessageIdsMs',
  idempotencyKeys: 'idempotencyKeysMs',
};

/** The retention side of the SQL store. `created_at` is the database's clock, `now` the runtime's: skew is nothing against windows of hours. */
export function sqlRetention(sql: SqlQueryable): Pick<SagaStore, 'prune'> {
  return {
    async prune(policy, now) {
      const nowMs = Date.parse(now);
      const pruned = { publishedOutbox: 0, appliedMessageIds: 0, idempotencyKeys: 0 };
      for (const table of Object.keys(PRUNE_STATEMENTS) as (keyof PrunedRows)[]) {
        const cutoff = new Date(nowMs - policy[WINDOW_OF[table]]).toISOString();
        pruned[table] = (await sql.query(PRUNE_STATEMENTS[table], [cutoff, policy.batchSize])).rowCount;
      }
      return pruned;
    },
  };
}
