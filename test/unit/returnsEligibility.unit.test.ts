import { describe, expect, it } from 'vitest';
import { returnEligibility, type OrderForReturn } from '../../returns/returnEligibility.ts';

const order: OrderForReturn = {
  orderId: 'ord-1',
  status: 'COMPLETED',
  currency: 'EUR',
  items: [
    { sku: 'SKU-7', quantity: 2, unitPrice: 1_000 },
    { sku: 'SKU-8', quantity: 1, unitPrice: 2_500 },
    // The same SKU again, at a sale price.
    { sku: 'SKU-7', quantity: 1, unitPrice: 400 },
  ],
};

describe('whether a return can be made of an order', () => {
  it('prices the returned units at the order’s prices, line after line', () => {
    expect(returnEligibility(order, [{ sku: 'SKU-8', quantity: 1 }, { sku: 'SKU-7', quantity: 3 }], [])).toEqual({
      eligible: true,
      items: [
        { sku: 'SKU-8', quantity: 1, unitPrice: 2_500 },
        { sku: 'SKU-7', quantity: 2, unitPrice: 1_000 },
        { sku: 'SKU-7', quantity: 1, unitPrice: 400 },
      ],
      refundAmount: 4_900,
      currency: 'EUR',
    });
  });

  it('refuses an order that is not completed, and items or quantities it does not hold', () => {
    expect(returnEligibility({ ...order, status: 'PENDING' }, [{ sku: 'SKU-8', quantity: 1 }], [])).toMatchObject({ eligible: false, code: 'ORDER_NOT_COMPLETED' });
    expect(returnEligibility(order, [{ sku: 'SKU-9', quantity: 1 }], [])).toEqual({ eligible: false, code: 'NOT_IN_ORDER', detail: 'order ord-1 has 0 of SKU-9, not 1' });
    expect(returnEligibility(order, [{ sku: 'SKU-7', quantity: 2 }, { sku: 'SKU-7', quantity: 2 }], [])).toMatchObject({ eligible: false, code: 'NOT_IN_ORDER' });
  });

  it('counts what pending and completed returns took, not what rejected, expired or failed ones gave back', () => {
    const earlier = [
      { status: 'COMPLETED' as const, items: [{ sku: 'SKU-7', quantity: 1, unitPrice: 1_000 }] },
      { status: 'PENDING' as const, items: [{ sku: 'SKU-7', quantity: 1, unitPrice: 1_000 }] },
      { status: 'FAILED' as const, items: [{ sku: 'SKU-8', quantity: 1, unitPrice: 2_500 }] },
      { status: 'REJECTED' as const, items: [{ sku: 'SKU-7', quantity: 1, unitPrice: 400 }] },
    ];
    expect(returnEligibility(order, [{ sku: 'SKU-7', quantity: 2 }], earlier)).toEqual({
      eligible: false,
      code: 'ALREADY_RETURNED',
      detail: '2 of the 3 SKU-7 of order ord-1 are returned already',
    });
    // The one SKU-7 left is the sale-priced one: returns together never pay back more than the order cost.
    expect(returnEligibility(order, [{ sku: 'SKU-7', quantity: 1 }, { sku: 'SKU-8', quantity: 1 }], earlier)).toMatchObject({
      eligible: true,
      items: [
        { sku: 'SKU-7', quantity: 1, unitPrice: 400 },
        { sku: 'SKU-8', quantity: 1, unitPrice: 2_500 },
      ],
      refundAmount: 2_900,
    });
  });
});
