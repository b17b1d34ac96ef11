import { describe, expect, it } from 'vitest';
import { checkReturnInvariants, netRestockedBySku, type LedgerRow, type RestockRow, type ReturnFacts } from '../../returns/returnInvariants.ts';

type View = ReturnFacts['views'][number];

const view = (returnId: string, status: View['status'], amount: number, refunded: number, items = [{ sku: 'SKU-1', quantity: 2, unitPrice: amount / 2 }]): View => ({
  returnId,
  orderId: 'o1',
  status,
  items,
  refund: { amount, currency: 'EUR', refunded },
});

/** One order of 1000 captured; r1 completed (refund 400, 2 × SKU-1), r2 failed and undone, r3 rejected. */
const ledger: LedgerRow[] = [
  { order_id: 'o1', operation: 'CapturePayment', amount: '1000', return_order_id: null },
  { order_id: 'r1', operation: 'RefundReturn', amount: 400, return_order_id: 'o1' },
  { order_id: 'r2', operation: 'RefundReturn', amount: 600, return_order_id: 'o1' },
  { order_id: 'r2', operation: 'ReverseReturnRefund', amount: 600, return_order_id: 'o1' },
];
const restocks: RestockRow[] = [
  { order_id: 'o1', operation: 'ReserveStock', items: [{ sku: 'SKU-1', quantity: 5 }] },
  { order_id: 'r1', operation: 'RestockReturn', items: [{ sku: 'SKU-1', quantity: 2 }] },
  { order_id: 'r2', operation: 'RestockReturn', items: [{ sku: 'SKU-1', quantity: 3 }] },
  { order_id: 'r2', operation: 'ReverseReturnRestock', items: [{ sku: 'SKU-1', quantity: 3 }] },
];
const views = [view('r1', 'COMPLETED', 400, 400), view('r2', 'FAILED', 600, 0, [{ sku: 'SKU-1', quantity: 3, unitPrice: 200 }]), view('r3', 'REJECTED', 100, 0)];

describe('the returns’ invariants', () => {
  it('hold for returns that refunded within the capture and restocked once each', () => {
    const report = checkReturnInvariants({ ledger, restocks, views });
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ returns: 3, byStatus: { COMPLETED: 1, FAILED: 1, REJECTED: 1 } });
    expect(netRestockedBySku(restocks)).toEqual(new Map([['SKU-1', 2]]));
  });

  it('name an order whose refunds, its own and its returns’, exceed what it captured', () => {
    const over: LedgerRow[] = [...ledger, { order_id: 'o1', operation: 'RefundPayment', amount: 700, return_order_id: null }];
    expect(checkReturnInvariants({ ledger: over, restocks, views }).violationsByRule['refund cap']).toEqual(['order o1: refunded 1100, more than the 1000 it captured']);
  });

  it('name a SKU restocked twice for one return, or restocked for a return that did not complete', () => {
    const twice = [...restocks, { order_id: 'r1', operation: 'RestockReturn', items: [{ sku: 'SKU-1', quantity: 2 }] }];
    expect(checkReturnInvariants({ ledger, restocks: twice, views }).violationsByRule.restock).toEqual(['stock of SKU-1: 4 put back by returns, 2 returned by completed ones']);
    const notUndone = restocks.filter((row) => row.operation !== 'ReverseReturnRestock');
    expect(checkReturnInvariants({ ledger, restocks: notUndone, views }).violationsByRule.restock).toEqual(['stock of SKU-1: 5 put back by returns, 2 returned by completed ones']);
  });

  it('leave out a pending return’s restock, which may still be undone', () => {
    const pending = [...restocks, { order_id: 'r4', operation: 'RestockReturn', items: [{ sku: 'SKU-9', quantity: 1 }] }];
    expect(checkReturnInvariants({ ledger, restocks: pending, views: [...views, view('r4', 'PENDING', 10, 0)] }).violations).toEqual([]);
  });

  it('name a finished return that was paid other than its outcome says', () => {
    const unpaid = ledger.filter((row) => row.order_id !== 'r1');
    expect(checkReturnInvariants({ ledger: unpaid, restocks, views }).violationsByRule.refund).toEqual(['return r1: COMPLETED with 0 refunded (view says 400), expected 400']);
    const notReversed = ledger.filter((row) => row.operation !== 'ReverseReturnRefund');
    expect(checkReturnInvariants({ ledger: notReversed, restocks, views }).violationsByRule.refund).toEqual(['return r2: FAILED with 600 refunded (view says 0), expected 0']);
  });
});
