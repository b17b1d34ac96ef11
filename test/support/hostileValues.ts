import fc from 'fast-check';

/**
 * A JSON document as text pieces, so that tests can write what `JSON.stringify` never does: a
 * key twice in one object, `-0`, `1e400`, integers past 2^53 as the client typed them.
 */
export type JsonDoc = Readonly<{ raw: string }> | Readonly<{ array: readonly JsonDoc[] }> | Readonly<{ object: readonly JsonEntry[] }>;

/** A key and its value; `keyText` writes the key another way (`"\u0063urrency"`) than `JSON.stringify`. */
export type JsonEntry = readonly [key: string, value: JsonDoc, keyText?: string];

/** The text of `doc`. */
export function jsonText(doc: JsonDoc): string {
  if ('raw' in doc) return doc.raw;
  if ('array' in doc) return `[${doc.array.map(jsonText).join(',')}]`;
  return `{${doc.object.map(([key, value, keyText]) => `${keyText ?? JSON.stringify(key)}:${jsonText(value)}`).join(',')}}`;
}

/** `value` (plain JSON data) as a document. */
export function toDoc(value: unknown): JsonDoc {
  if (Array.isArray(value)) return { array: value.map(toDoc) };
  if (typeof value === 'object' && value !== null) return { object: Object.entries(value).map(([key, v]) => [key, toDoc(v)] as const) };
  return { raw: JSON.stringify(value) };
}

/** A string's JSON text; an unpaired surrogate is written as its `\uXXXX` escape, as JSON allows. */
export const stringDoc = (value: string): JsonDoc => ({ raw: JSON.stringify(value) });

export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** C0 (NUL included), DEL and C1. */
export const controlCharacter = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0x9f })).map((code) => String.fromCharCode(code));

/** Text a person may well type: right-to-left scripts, emoji with joiners and skin tones, combining marks. */
export const EXOTIC_TEXT = ['שלום', 'مرحبا بالعالم', '\u200fאדה\u200e', '👩🏽‍💻', '🇩🇪', 'e\u0301', 'Ａｄａ', 'ǅ', '\u202egnp.exe', '\ufeffBOM', 'a\u200bb', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'] as const;

/** Strings an attacker tries first. */
export const NASTY_TEXT = [
  '',
  ' ',
  '\t',
  '\u0000',
  'a\u0000b',
  '\r\nX-Injected: 1',
  '../../etc/passwd',
  '..\\..\\boot.ini',
  '%00',
  '%2e%2e%2f',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '{"$gt":""}',
  "'; drop table xsaga_events; --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  'null',
  'NaN',
  '-0',
  ...EXOTIC_TEXT,
] as const;

/** Any string, weighted towards the ones that break things; some are past every text limit (200). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom(...NASTY_TEXT), loneSurrogate, controlCharacter, fc.string({ maxLength: 4 })), { maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '👩🏽‍💻', '\u0000'), fc.integer({ min: 201, max: 1000 })).map(([unit, n]) => unit.repeat(n)) },
);

/** How the number can be written: as the client typed it, never normalised by `JSON.stringify`. */
const numberText = (n: number): string => (Object.is(n, -0) ? '-0' : String(n));

/** Number literals at and past every limit, as JSON text (some parse to Infinity or lose precision). */
export const NUMBER_TEXT = [
  '0', '-0', '-0.0', '-1', '0.5', '1.5', '0.1e1', '1E2', '1e308', '-1e308', '1e400', '-1e400', '1e-400', '5e-324',
  '9007199254740991', '9007199254740992', '9007199254740993', '18446744073709551616', '123456789012345678901234567890',
  '10000', '10001', '100000000', '100000001', '2147483648', '1.0000000000000001',
] as const;

/** Any JSON number as text: the literals above, doubles of every magnitude and integers far past 2^53. */
export const numberLiteral: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NUMBER_TEXT),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(numberText),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);

/** What a client sends where a number belongs: numbers, and strings that look like numbers. */
export const numberish: fc.Arbitrary<JsonDoc> = fc.oneof(
  numberLiteral.map((raw): JsonDoc => ({ raw })),
  fc.constantFrom('1', 'NaN', 'Infinity', '-Infinity', '1e3', ' 2', '0x10', '', '١').map(stringDoc),
);

const leaf: fc.Arbitrary<JsonDoc> = fc.oneof(
  fc.constantFrom('null', 'true', 'false').map((raw): JsonDoc => ({ raw })),
  numberish,
  hostileString.map(stringDoc),
);

/** Any JSON value, every type at every depth up to `maxDepth`. */
export function jsonDoc(maxDepth = 5): fc.Arbitrary<JsonDoc> {
  const { value } = fc.letrec<{ value: JsonDoc }>((tie) => ({
    value: fc.oneof(
      { maxDepth, depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 5 }).map((array): JsonDoc => ({ array })),
      // Keys are unique here: a key named twice is a fault of its own, and the first one the API reports.
      fc
        .uniqueArray(fc.tuple(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'customerId', 'items')), tie('value')), { maxLength: 5, selector: ([key]) => key })
        .map((object): JsonDoc => ({ object })),
    ),
  }));
  return value;
}

/** Nesting deeper than any parser should recurse: up to 30,000 levels, still under the 64 kB body limit. */
export const deepNesting: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 100, max: 30_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 100, max: 10_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

/** Percent-encodes every byte of the UTF-8 of `value` that is not unreserved (RFC 3986). */
export const percentEncode = (value: string): string =>
  [...Buffer.from(value, 'utf8')].map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** A path segment or query value as a hostile client writes it: encoded, half-encoded or raw. */
export const urlPiece: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileString.map(percentEncode) },
  { weight: 2, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '..%2f..%2f', '%2F', 'a%2Fb', '%5C', '%00', '%', '%zz', '%ED%A0%80', '%C0%AE', '%FF', ';', ',', '+', '~', '__proto__', 'constructor', '%E2%80%AE') },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 12_000 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(17_000)) },
);
