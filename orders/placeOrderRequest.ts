import { z } from 'zod';
import type { OrderItem, ShippingAddress } from '../machines/orderTypes.ts';
import { isPlainText } from './plainText.ts';

/** A validated `POST /orders` body. */
export type PlaceOrderRequest = Readonly<{
  customerId: string;
  currency: string;
  items: readonly OrderItem[];
  paymentToken: string;
  shippingAddress: ShippingAddress;
}>;

export const ORDER_LIMITS = { maxItems: 100, maxQuantity: 10_000, maxUnitPrice: 100_000_000, maxText: 200 } as const;

const ID_HINT = 'must be 1-128 letters, digits or ".", "_", ":", "@", "-"';

/**
 * Text a person can read: not blank, at most `maxText` characters, no control character nor
 * unpaired surrogate (the event store refused those as a 500 before this check), and `pattern`
 * when given. A failed check stops the next: a field gets the message of the first that applies.
 */
function orderText(pattern?: Readonly<{ regex: RegExp; hint: string }>) {
  const text = z
    .string()
    .min(1, { error: 'must not be empty', abort: true })
    .refine((value) => value.trim() !== '', { error: 'must not be empty', abort: true })
    .max(ORDER_LIMITS.maxText, { error: `must be at most ${ORDER_LIMITS.maxText} characters`, abort: true })
    .refine(isPlainText, { error: 'must not contain control characters or unpaired surrogates', abort: true });
  // One pattern at most: the document shows a single `pattern` per string.
  return pattern ? text.regex(pattern.regex, { error: pattern.hint, abort: true }) : text;
}

/** A whole number from `min` to `max`; `1.0` and `1e4` are whole numbers as JSON writes them. */
function wholeNumber(min: number, max: number) {
  const between = `must be between ${min} and ${max}`;
  return z
    .number({ error: (issue) => (issue.input === undefined ? undefined : 'must be a whole number') })
    .int({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number' : between), abort: true })
    .min(min, { error: between })
    .max(max, { error: between });
}

const orderItem = z
  .strictObject({
    sku: orderText({ regex: /^[A-Za-z0-9._-]{1,64}$/, hint: 'must be 1-64 letters, digits, ".", "_" or "-"' }),
    quantity: wholeNumber(1, ORDER_LIMITS.maxQuantity),
    unitPrice: wholeNumber(0, ORDER_LIMITS.maxUnitPrice).meta({ description: 'In minor units of the currency (cents).' }),
  })
  .meta({ id: 'OrderItem' });

const shippingAddress = z
  .strictObject({
    name: orderText(),
    line1: orderText(),
    line2: orderText().optional(),
    city: orderText(),
    postalCode: orderText(),
    country: orderText({ regex: /^[A-Z]{2}$/, hint: 'must be an ISO 3166-1 alpha-2 code such as "DE"' }),
  })
  .meta({ id: 'ShippingAddress' });

const itemCount = `must hold 1 to ${ORDER_LIMITS.maxItems} items`;

/**
 * The `POST /orders` body: it validates each request, and the OpenAPI document shows it. Every
 * field at fault is named (`items[0].quantity`, `shippingAddress.country`); keys the contract does
 * not know are refused, so a misspelled field never goes unnoticed. The output keeps the keys in
 * this order: the Idempotency-Key's request hash is taken over it.
 */
export const placeOrderRequestSchema = z
  .strictObject(
    {
      customerId: orderText({ regex: /^[A-Za-z0-9._:@-]{1,128}$/, hint: ID_HINT }),
      currency: orderText({ regex: /^[A-Z]{3}$/, hint: 'must be an ISO 4217 code such as "EUR"' }),
      items: z
        .array(orderItem)
        .min(1, { error: itemCount, abort: true })
        .max(ORDER_LIMITS.maxItems, { error: itemCount }),
      paymentToken: orderText({ regex: /^[A-Za-z0-9._:@-]{1,128}$/, hint: ID_HINT }).meta({
        description: 'Test tokens: `tok_declined` is declined, `tok_no_answer` never answered, `tok_flaky` fails twice then succeeds.',
      }),
      shippingAddress,
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined) },
  )
  .meta({ id: 'PlaceOrderRequest' }) satisfies z.ZodType<PlaceOrderRequest>;

/** The order total in minor units. */
export const orderTotal = (items: readonly OrderItem[]): number => items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
