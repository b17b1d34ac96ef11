import type { PlaceOrderRequest } from '../orders/placeOrderRequest.ts';

/** One kind of order the demo and the load tests send, and the share of orders of that kind. */
export type Scenario = Readonly<{ name: string; weight: number; paymentToken: string; sku?: string; country?: string }>;

/** About 85% complete; the rest fail at each step, so every compensation path runs. */
export const DEFAULT_MIX: readonly Scenario[] = [
  { name: 'ok', weight: 80, paymentToken: 'tok_ok' },
  { name: 'flaky payment', weight: 5, paymentToken: 'tok_flaky' },
  { name: 'declined', weight: 4, paymentToken: 'tok_declined' },
  { name: 'payment never answers', weight: 1, paymentToken: 'tok_no_answer' },
  { name: 'sold out', weight: 5, paymentToken: 'tok_ok', sku: 'SKU-SOLDOUT' },
  { name: 'undeliverable', weight: 5, paymentToken: 'tok_ok', country: 'ZZ' },
];

/** Picks scenarios in a fixed, evenly spread sequence, so a run of n orders always has the same mix. */
export function scenarioFor(index: number, mix: readonly Scenario[] = DEFAULT_MIX): Scenario {
  const total = mix.reduce((sum, s) => sum + s.weight, 0);
  // A stride coprime with 100 walks the weight range evenly instead of in blocks.
  const slot = (index * 37) % total;
  let acc = 0;
  for (const scenario of mix) {
    acc += scenario.weight;
    if (slot < acc) return scenario;
  }
  return mix[0]!;
}

export function orderRequestFor(index: number, scenario: Scenario): PlaceOrderRequest {
  return {
    customerId: `cust-${index % 97}`,
    currency: 'EUR',
    items: [
      { sku: scenario.sku ?? `SKU-${index % 20}`, quantity: 1 + (index % 3), unitPrice: 999 + (index % 7) * 100 },
      { sku: `SKU-${100 + (index % 5)}`, quantity: 1, unitPrice: 450 },
    ],
    paymentToken: scenario.paymentToken,
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: scenario.country ?? 'DE' },
  };
}
