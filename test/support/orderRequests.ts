import { randomUUID } from 'node:crypto';

export type OrderItemBody = { sku: string; quantity: number; unitPrice: number };

export type ShippingAddressBody = { name: string; line1: string; line2?: string; city: string; postalCode: string; country: string };

/** A `POST /orders` body as the HTTP contract names its fields. */
export type PlaceOrderBody = {
  customerId: string;
  currency: string;
  items: OrderItemBody[];
  paymentToken: string;
  shippingAddress: ShippingAddressBody;
};

/** A customer id no other test uses, so searches by customer see only this test's orders. */
export const uniqueCustomerId = (prefix = 'cust'): string => `${prefix}-${randomUUID()}`;

/**
 * A valid order body that completes (stocked SKUs, a good token, a deliverable country);
 * `overrides` replace whole top-level fields.
 *
 * @example
 * const declined = placeOrderBody({ paymentToken: 'tok_declined' });
 */
export function placeOrderBody(overrides: Partial<PlaceOrderBody> = {}): PlaceOrderBody {
  return {
    customerId: uniqueCustomerId(),
    currency: 'EUR',
    items: [
      { sku: 'SKU-1001', quantity: 2, unitPrice: 1250 },
      { sku: 'SKU-1002', quantity: 1, unitPrice: 499 },
    ],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada Lovelace', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
    ...overrides,
  };
}

/** A valid shipping address with some fields replaced. */
export function shippingAddress(overrides: Partial<ShippingAddressBody> = {}): ShippingAddressBody {
  return { ...placeOrderBody().shippingAddress, ...overrides };
}
