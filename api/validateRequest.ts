import type { z } from 'zod';
import { validationError, type FieldError } from '../runtime/errors.ts';

type Issue = z.core.$ZodIssue;

/** What a client reads for the faults every schema shares; a schema's own message (a pattern's hint, a range) wins over these. */
const sharedMessages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'unrecognized_keys') return 'is not a known field';
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  switch (issue.expected) {
    case 'string':
      return 'must be a string';
    case 'number':
    case 'int':
      return 'must be a number';
    case 'boolean':
      return 'must be true or false';
    case 'array':
      return 'must be an array';
    case 'object':
      return 'must be an object';
    default:
      return undefined;
  }
};

/** `items[0].quantity`, `shippingAddress.country`, `limit`: the path as a client writes it; the body itself is `''`. */
const fieldOf = (path: readonly PropertyKey[]): string =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');

const startsWith = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean => prefix.every((key, i) => path[i] === key);

/**
 * One field error per field at fault, in the order a reader fixes them.
 *
 * One: the first issue of a field is the one it gets. zod runs a length check on any value with a
 * length, even after its type check failed: `"sku": []` was "must be a string" and "must not be empty".
 *
 * The order: zod reports an object's unknown keys after its fields, and a misspelled key (`qty`)
 * then came after the `quantity: is required` it caused. The issues of an object's fields come
 * just before its unknown-key issue (zod walks depth first), so its keys go in front of them.
 */
export function fieldErrorsOf(issues: readonly Issue[]): FieldError[] {
  const errors: { error: FieldError; path: readonly PropertyKey[] }[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') {
      errors.push({ error: { field: fieldOf(issue.path), detail: issue.message }, path: issue.path });
      continue;
    }
    let at = errors.length;
    while (at > 0 && startsWith(errors[at - 1]!.path, issue.path)) at--;
    const unknown = issue.keys.map((key) => ({ error: { field: fieldOf([...issue.path, key]), detail: issue.message }, path: issue.path }));
    errors.splice(at, 0, ...unknown);
  }
  const named = new Set<string>();
  return errors.map((e) => e.error).filter((error) => !named.has(error.field) && named.add(error.field));
}

/**
 * `input` as `schema` reads it, or a VALIDATION error naming each field at fault (a 400 problem).
 *
 * @example
 * const query = validateRequest(orderSearchQuery, req.query);
 */
export function validateRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { error: sharedMessages });
  if (result.success) return result.data;
  throw validationError(fieldErrorsOf(result.error.issues));
}
