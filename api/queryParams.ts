import { z } from 'zod';

/**
 * Schemas of query parameters, as Express reads them: a string, an array when the name is given
 * more than once (`?a=1&a=2`, refused), and `''` for `?a=` (the same as no `a`). Each validates the
 * parameter and documents it in the OpenAPI document with its real type (integer, boolean, enum).
 */

const ONCE = 'must be given once';
/** Digits only: `Number()` also reads "1e3", "0x10", " 7" and "-0", none of which a client means as a count. */
const DIGITS = /^[0-9]{1,16}$/;

const given = (value: unknown): unknown => (value === '' ? undefined : value);
const onceOr = (detail: string) => (issue: { input?: unknown }) => (Array.isArray(issue.input) ? ONCE : detail);

/**
 * A text parameter, optional.
 *
 * @example
 * const query = z.object({ state: textParam() });
 */
export const textParam = () => z.preprocess(given, z.string({ error: ONCE }).optional());

/**
 * A whole number from `min` to `max`, written in decimal digits; `fallback` when absent.
 *
 * @example
 * const query = z.object({ limit: wholeNumberParam({ min: 0, max: 500, fallback: 20 }) });
 */
export function wholeNumberParam(range: Readonly<{ min: number; max: number; fallback: number }>): z.ZodType<number, unknown>;
export function wholeNumberParam(range: Readonly<{ min: number; max: number }>): z.ZodType<number | undefined, unknown>;
export function wholeNumberParam(range: Readonly<{ min: number; max: number; fallback?: number }>): z.ZodType<number | undefined, unknown> {
  const detail = `must be a whole number from ${range.min} to ${range.max}`;
  const number = z.number({ error: onceOr(detail) }).int({ error: detail, abort: true }).min(range.min, { error: detail }).max(range.max, { error: detail });
  const digits = (value: unknown) => {
    const present = given(value);
    return typeof present === 'string' && DIGITS.test(present) ? Number(present) : present;
  };
  return z.preprocess(digits, range.fallback === undefined ? number.optional() : number.default(range.fallback));
}

/** `true` or `false`, optional. */
export const booleanParam = () =>
  z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : given(value)), z.boolean({ error: onceOr('must be true or false') }).optional());

/** One of `values`, optional. */
export const oneOfParam = <const V extends readonly [string, ...string[]]>(values: V) =>
  z.preprocess(given, z.enum(values, { error: onceOr(`must be one of ${values.join(', ')}`) }).optional());
