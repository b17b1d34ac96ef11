import type { SqlQueryable } from 'xsaga';
import type { LedgerRow, RestockRow, ReturnFacts } from './returnInvariants.ts';

/**
 * What the returns' invariants are checked on: the payment and inventory participants' own rows,
 * beside the views of the returns in question.
 *
 * @example
 * const report = checkReturnInvariants(await readReturnFacts(sql, views));
 */
export async function readReturnFacts(sql: SqlQueryable, views: ReturnFacts['views']): Promise<ReturnFacts> {
  return {
    ledger: (await sql.query<LedgerRow>('select order_id, operation, amount, return_order_id from payment_ledger')).rows,
    restocks: (await sql.query<RestockRow>('select order_id, operation, items from inventory_reservations')).rows,
    views,
  };
}
