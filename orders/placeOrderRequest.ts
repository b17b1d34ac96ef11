import { validationError, type FieldError } from '../runtime/errors.ts';
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

const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
const SKU_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
const COUNTRY_PATTERN = /^[A-Z]{2}$/;

type Errors = FieldError[];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function rejectUnknown(value: Record<string, unknown>, allowed: readonly string[], prefix: string, errors: Errors): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) errors.push({ field: `${prefix}${key}`, detail: 'is not a known field' });
}

function text(value: unknown, field: string, errors: Errors, pattern?: RegExp, hint?: string): string {
  if (typeof value !== 'string') {
    errors.push({ field, detail: value === undefined ? 'is required' : 'must be a string' });
    return '';
  }
  if (value.trim().length === 0) errors.push({ field, detail: 'must not be empty' });
  else if (value.length > ORDER_LIMITS.maxText) errors.push({ field, detail: `must be at most ${ORDER_LIMITS.maxText} characters` });
  // The event store refused such text as a 500 before this check.
  else if (!isPlainText(value)) errors.push({ field, detail: 'must not contain control characters or unpaired surrogates' });
  else if (pattern && !pattern.test(value)) errors.push({ field, detail: hint ?? `must match ${pattern}` });
  return value;
}

function wholeNumber(value: unknown, field: string, min: number, max: number, errors: Errors): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.push({ field, detail: value === undefined ? 'is required' : 'must be a whole number' });
    return 0;
  }
  if (value < min || value > max) errors.push({ field, detail: `must be between ${min} and ${max}` });
  return value;
}

function items(value: unknown, errors: Errors): OrderItem[] {
  if (!Array.isArray(value)) {
    errors.push({ field: 'items', detail: value === undefined ? 'is required' : 'must be an array' });
    return [];
  }
  if (value.length === 0 || value.length > ORDER_LIMITS.maxItems) errors.push({ field: 'items', detail: `must hold 1 to ${ORDER_LIMITS.maxItems} items` });
  return value.slice(0, ORDER_LIMITS.maxItems).map((item: unknown, i) => {
    const prefix = `items[${i}]`;
    if (!isObject(item)) {
      errors.push({ field: prefix, detail: 'must be an object' });
      return { sku: '', quantity: 0, unitPrice: 0 };
    }
    rejectUnknown(item, ['sku', 'quantity', 'unitPrice'], `${prefix}.`, errors);
    return {
      sku: text(item.sku, `${prefix}.sku`, errors, SKU_PATTERN, 'must be 1-64 letters, digits, ".", "_" or "-"'),
      quantity: wholeNumber(item.quantity, `${prefix}.quantity`, 1, ORDER_LIMITS.maxQuantity, errors),
      unitPrice: wholeNumber(item.unitPrice, `${prefix}.unitPrice`, 0, ORDER_LIMITS.maxUnitPrice, errors),
    };
  });
}

function address(value: unknown, errors: Errors): ShippingAddress {
  if (!isObject(value)) {
    errors.push({ field: 'shippingAddress', detail: value === undefined ? 'is required' : 'must be an object' });
    return { name: '', line1: '', city: '', postalCode: '', country: '' };
  }
  rejectUnknown(value, ['name', 'line1', 'line2', 'city', 'postalCode', 'country'], 'shippingAddress.', errors);
  const line2 = value.line2 === undefined ? undefined : text(value.line2, 'shippingAddress.line2', errors);
  return {
    name: text(value.name, 'shippingAddress.name', errors),
    line1: text(value.line1, 'shippingAddress.line1', errors),
    ...(line2 === undefined ? {} : { line2 }),
    city: text(value.city, 'shippingAddress.city', errors),
    postalCode: text(value.postalCode, 'shippingAddress.postalCode', errors),
    country: text(value.country, 'shippingAddress.country', errors, COUNTRY_PATTERN, 'must be an ISO 3166-1 alpha-2 code such as "DE"'),
  };
}

/** Checks every field of a `POST /orders` body; throws one VALIDATION error naming each field at fault. */
export function parsePlaceOrderRequest(body: unknown): PlaceOrderRequest {
  if (!isObject(body)) throw validationError([{ field: '', detail: 'the body must be a JSON object' }]);
  const errors: Errors = [];
  rejectUnknown(body, ['customerId', 'currency', 'items', 'paymentToken', 'shippingAddress'], '', errors);
  const request: PlaceOrderRequest = {
    customerId: text(body.customerId, 'customerId', errors, ID_PATTERN, 'must be 1-128 letters, digits or ".", "_", ":", "@", "-"'),
    currency: text(body.currency, 'currency', errors, CURRENCY_PATTERN, 'must be an ISO 4217 code such as "EUR"'),
    items: items(body.items, errors),
    paymentToken: text(body.paymentToken, 'paymentToken', errors, ID_PATTERN, 'must be 1-128 letters, digits or ".", "_", ":", "@", "-"'),
    shippingAddress: address(body.shippingAddress, errors),
  };
  if (errors.length > 0) throw validationError(errors);
  return request;
}

/** The order total in minor units. */
export const orderTotal = (items: readonly OrderItem[]): number => items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
