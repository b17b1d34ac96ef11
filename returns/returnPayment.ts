import { returnCommandChecks } from './returnCommands.ts';
import { returnOfCommand, orderOfReturnCommand } from './returnParticipantKeys.ts';
import type { ReturnSagaCommand } from './returnTypes.ts';
import { final, participantCommands, type Message, type Performed, type SqlQueryable } from 'xsaga';

type Refund = Extract<ReturnSagaCommand, { type: 'RefundReturn' }>['data'];

type LedgerRow = { order_id: string; operation: string; amount: string | number; return_order_id: string | null };

/** What the ledger says about the orders of a batch, and about its returns. */
type Balances = { captured: Map<string, number>; refunded: Map<string, number>; refundOf: Map<string, number>; reversed: Set<string> };

/**
 * Everything captured and refunded for the orders of `commands`, read after locking their capture
 * rows: two returns of one order, in two partitions' batches at once, then refund one after the
 * other, and the second sees the first.
 */
async function balancesOf(tx: SqlQueryable, commands: readonly Message[]): Promise<Balances> {
  const orders = [...new Set(commands.map(orderOfReturnCommand))].sort();
  await tx.query(`select order_id from payment_ledger where order_id = any($1::text[]) and operation = 'CapturePayment' order by order_id for update`, [orders]);
  const rows = await tx.query<LedgerRow>(
    'select order_id, operation, amount, return_order_id from payment_ledger where order_id = any($1::text[]) or return_order_id = any($1::text[]) or order_id = any($2::text[])',
    [orders, [...new Set(commands.map(returnOfCommand))]],
  );
  const balances: Balances = { captured: new Map(), refunded: new Map(), refundOf: new Map(), reversed: new Set() };
  const add = (order: string, amount: number) => balances.refunded.set(order, (balances.refunded.get(order) ?? 0) + amount);
  for (const row of rows.rows) {
    const amount = Number(row.amount);
    if (row.operation === 'CapturePayment') balances.captured.set(row.order_id, amount);
    if (row.operation === 'RefundPayment') add(row.order_id, amount);
    if (row.operation === 'RefundReturn' && row.return_order_id !== null) {
      add(row.return_order_id, amount);
      balances.refundOf.set(row.order_id, amount);
    }
    if (row.operation === 'ReverseReturnRefund' && row.return_order_id !== null) {
      add(row.return_order_id, -amount);
      balances.reversed.add(row.order_id);
    }
  }
  return balances;
}

const refused = (reason: string, orderId: string): Performed =>
  final({ type: 'ReturnRefundFailed', data: { reason, retryable: false } }, { amount: 0, return_order_id: orderId });

/**
 * The payment participant's part in returns, in its own ledger: a return's refund is a row keyed by
 * the return, naming its order. A refund that would take the order's refunds (its own, and every
 * return's) above what it captured is refused for good. A reversal takes back what the return's
 * refund paid (nothing if it paid nothing) and voids a refund that would arrive after it.
 */
export const returnPaymentCommands = participantCommands({
  participant: 'payment',
  handles: {
    RefundReturn: { done: ['ReturnRefunded'], failed: ['ReturnRefundFailed'], check: returnCommandChecks.RefundReturn },
    ReverseReturnRefund: { done: ['ReturnRefundReversed'], failed: ['ReturnRefundReversalFailed'], undoes: 'RefundReturn', check: returnCommandChecks.ReverseReturnRefund },
  },
  outcomeColumns: { return_order_id: 'text' },
  subjectOf: returnOfCommand,
  transientFailure: (command) => ({
    type: command.type === 'ReverseReturnRefund' ? 'ReturnRefundReversalFailed' : 'ReturnRefundFailed',
    data: { reason: 'PAYMENT_PROVIDER_UNAVAILABLE', retryable: true },
  }),
  async perform(tx, commands): Promise<Performed[]> {
    if (commands.length === 0) return [];
    const { captured, refunded, refundOf, reversed } = await balancesOf(tx, commands);
    return commands.map((command): Performed => {
      const returnId = returnOfCommand(command);
      const orderId = orderOfReturnCommand(command);
      if (command.type === 'RefundReturn') {
        const { amount } = command.data as Refund;
        if (reversed.has(returnId)) return refused('REFUND_VOIDED', orderId);
        if ((refunded.get(orderId) ?? 0) + amount > (captured.get(orderId) ?? 0)) return refused('REFUND_EXCEEDS_CAPTURE', orderId);
        refunded.set(orderId, (refunded.get(orderId) ?? 0) + amount);
        refundOf.set(returnId, amount);
        return final({ type: 'ReturnRefunded', data: { amount } }, { amount, return_order_id: orderId });
      }
      if (command.type === 'ReverseReturnRefund') {
        const amount = refundOf.get(returnId) ?? 0;
        refunded.set(orderId, (refunded.get(orderId) ?? 0) - amount);
        reversed.add(returnId);
        return final({ type: 'ReturnRefundReversed', data: { amount } }, { amount, return_order_id: orderId });
      }
      throw new Error(`payment cannot handle ${command.type} for a return`);
    });
  },
});
