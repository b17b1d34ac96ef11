/** C0, DEL and C1: nothing a name, an address or an id needs. */
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * True when `value` is text a person can read and PostgreSQL can store: no control character
 * (NUL is one) and no unpaired surrogate, which `JSON.parse` lets through and jsonb refuses.
 *
 * @example
 * isPlainText('Zürich 👩🏽‍💻'); // true
 * isPlainText('Ada\u0000'); // false
 */
export const isPlainText = (value: string): boolean => value.isWellFormed() && !CONTROL_CHARACTER.test(value);
