/** Fields whose values are secrets wherever they appear: in events, commands, contexts and views. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['paymentToken']);

/**
 * `tok_visa_4242` → `tok_****`: at most the first four characters stay, and never more than half
 * of the value, so that a short token is not shown whole.
 */
export function maskToken(token: string): string {
  return `${token.slice(0, Math.min(4, Math.floor(token.length / 2)))}****`;
}

/**
 * A `JSON.stringify` replacer that masks every secret field: the API sets it on its JSON answers,
 * so no answer, whatever route or shape, carries a payment token.
 */
export function secretReplacer(this: unknown, key: string, value: unknown): unknown {
  return SECRET_FIELDS.has(key) && typeof value === 'string' ? maskToken(value) : value;
}

/**
 * A copy of a JSON value with every secret field masked, for what leaves the process other than as
 * an API answer (the inspector's stream).
 *
 * @example
 * maskSecrets({ order: { paymentToken: 'tok_visa_4242' } }); // { order: { paymentToken: 'tok_****' } }
 */
export function maskSecrets<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value, secretReplacer)) as T);
}
