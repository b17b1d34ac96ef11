import { migrate, type SqlClient } from 'xsaga';

/**
 * What the returns saga adds to its participants' tables (participants/schema.ts creates them; run
 * after it). A return's rows are keyed by the return's id; a refund row also names the order it
 * pays back from, so that every refund of one order can be summed against what it captured.
 */
const statements = [
  'alter table payment_ledger add column if not exists return_order_id text',
  'create index if not exists payment_ledger_return_order on payment_ledger (return_order_id) where return_order_id is not null',
];

export async function migrateReturns(sql: SqlClient): Promise<void> {
  await migrate(sql, 7_100_003, statements);
}
