import type { Request } from 'express';
import type { FieldError } from '../runtime/errors.ts';

type Query = Request['query'];

/** Digits only: `Number()` also reads "1e3", "0x10", " 7" and "-0", none of which a client means as a count. */
const DIGITS = /^[0-9]{1,16}$/;

/**
 * The one value of query parameter `name`, or undefined when it is absent or empty (`?limit=`
 * means the same as no limit). Given more than once (`?a=1&a=2`), it is an error in `errors`.
 *
 * @example
 * const state = singleParam(req.query, 'state', errors);
 */
export function singleParam(query: Query, name: string, errors: FieldError[]): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    errors.push({ field: name, detail: 'must be given once' });
    return undefined;
  }
  return value;
}

/**
 * Query parameter `name` as a whole number from `min` to `max`, written in decimal digits, or
 * `fallback` when it is absent; anything else is an error in `errors` (and `fallback` is returned).
 *
 * @example
 * const limit = wholeNumberParam(req.query, 'limit', { min: 0, max: 500, fallback: 20 }, errors);
 */
export function wholeNumberParam<F extends number | undefined>(
  query: Query,
  name: string,
  range: Readonly<{ min: number; max: number; fallback: F }>,
  errors: FieldError[],
): number | F {
  const value = singleParam(query, name, errors);
  if (value === undefined) return range.fallback;
  const n = DIGITS.test(value) ? Number(value) : Number.NaN;
  if (!(n >= range.min && n <= range.max)) {
    errors.push({ field: name, detail: `must be a whole number from ${range.min} to ${range.max}` });
    return range.fallback;
  }
  return n;
}
