import fc from 'fast-check';
import type { HostileCase, Known } from './hostileCase.ts';
import { validBody } from './hostileOrders.ts';
import { jsonText } from './hostileValues.ts';
import type { RawRequest } from './rawHttp.ts';

type Headers = RawRequest['headers'];

const post = (body: string, headers: Headers): RawRequest => ({ method: 'POST', target: '/orders', headers, body });

/** Media types that are not JSON, or only look like it. */
const NOT_JSON = [
  'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx',
  'application/json-patch+json', 'application/merge-patch+json', 'application/vnd.api+json', 'application/ld+json', 'json', 'application',
  'application/', '/json', '*/*', 'application/*', 'Application/JSONP', 'application/json/x', 'application\\json', 'application/json+', '',
] as const;

const LOOKS_LIKE_JSON = /^\s*application\/json\s*(;|$)/i;
const printableAscii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

/** A valid order under a content type that is not JSON (415), or JSON in a charset other than UTF-8. */
export const contentTypeFault: fc.Arbitrary<HostileCase> = fc.tuple(validBody, fc.nat(2)).chain(([body, variant]) => {
  const text = jsonText(body);
  if (variant === 0) {
    return fc.option(fc.oneof(fc.constantFrom(...NOT_JSON), printableAscii.filter((t) => !LOOKS_LIKE_JSON.test(t))), { nil: undefined }).map(
      (type): HostileCase => ({ request: post(text, type === undefined ? [] : [['Content-Type', type]]), expect: 'rejected', status: 415 }),
    );
  }
  if (variant === 1) {
    // Not `charset=` or a malformed parameter: the parsers ignore those and read UTF-8, which is fine.
    const charsets = fc.constantFrom('latin1', 'iso-8859-1', 'us-ascii', 'utf-16', 'utf-16le', 'UTF-16BE', 'utf-32', 'utf-7', 'utf8', 'UTF_8', 'utf-8x', 'bogus');
    return charsets.map((charset): HostileCase => ({ request: post(text, [['Content-Type', `application/json; charset=${charset}`]]), expect: 'rejected' }));
  }
  // A second Content-Type after one that is not JSON: Node keeps the first.
  return fc
    .constantFrom<Headers>([['Content-Type', 'text/plain'], ['Content-Type', 'application/json']], [['Content-Type', ''], ['Content-Type', 'application/json']])
    .map((headers): HostileCase => ({ request: post(text, headers), expect: 'rejected', status: 415 }));
});

/** A valid order said to be compressed when it is not, or in an encoding the server does not speak. */
export const contentEncodingFault: fc.Arbitrary<HostileCase> = fc
  .tuple(validBody, fc.constantFrom('gzip', 'deflate', 'br', 'x-gzip', 'compress', 'zstd', 'x-foo', 'gzip, gzip', 'identity, gzip', 'identity;q=1', '*'))
  .map(([body, encoding]): HostileCase => ({ request: post(jsonText(body), [['Content-Type', 'application/json'], ['Content-Encoding', encoding]]), expect: 'rejected' }));

const printable = (min: number, max: number) => fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });

/**
 * A valid order under a key the contract refuses: empty, over 200 characters, with a space, a tab,
 * non-ASCII or a control character inside, or given twice. (Inside: the server trims the ends, and
 * CR or LF would end the header and send a valid key.) A control character stops Node's parser
 * before the API sees the key, so those cases expect a 400 without naming the field.
 */
export const idempotencyKeyFault = (known: Known): fc.Arbitrary<HostileCase> => {
  const named = (headers: Headers, body: string): HostileCase => ({ request: post(body, [['Content-Type', 'application/json'], ...headers]), expect: 'rejected', status: 400, field: 'Idempotency-Key' });
  const inside = (bad: fc.Arbitrary<string>) => fc.tuple(printable(1, 20), bad, printable(1, 20)).map(([a, b, c]) => a + b + c);
  const nonAscii = fc.oneof(fc.constantFrom('é', 'ÿ', '\u0080', '\u00a0', '👩🏽‍💻', '\u202e', '\ud800'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).filter((s) => [...s].some((c) => c.charCodeAt(0) > 0x7f)));
  const control = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0x0b, max: 0x0c }), fc.integer({ min: 0x0e, max: 0x1f }), fc.constant(0x7f)).map((c) => String.fromCharCode(c));
  return fc.tuple(validBody, fc.nat(5)).chain(([doc, variant]) => {
    const body = jsonText(doc);
    switch (variant) {
      case 0:
        return fc.constantFrom('', ' ', '\t').map((key) => named([['Idempotency-Key', key]], body));
      case 1:
        return printable(201, 1000).map((key) => named([['Idempotency-Key', key]], body));
      case 2:
        return inside(fc.oneof(fc.constantFrom(' ', '\t'), nonAscii)).map((key) => named([['Idempotency-Key', key]], body));
      case 3:
        return inside(control).map((key): HostileCase => ({ request: post(body, [['Content-Type', 'application/json'], ['Idempotency-Key', key]]), expect: 'rejected', status: 400 }));
      case 4:
        return fc.tuple(printable(1, 40), printable(1, 40)).map(([a, b]) => named([['Idempotency-Key', a], ['Idempotency-Key', b]], body));
      default:
        // A key a stored order was placed with, and a body that differs from it: 422.
        return fc.constant<HostileCase>({ ...named([['Idempotency-Key', known.usedIdempotencyKey]], body), status: 422 });
    }
  });
};

/** The orders path under methods it does not serve, with a valid body: a 404 problem, nothing placed. */
export const otherMethod: fc.Arbitrary<HostileCase> = fc
  .tuple(validBody, fc.constantFrom('PUT', 'PATCH', 'DELETE', 'PROPFIND', 'TRACE'), fc.constantFrom('/orders', '/orders/', '/orders/x', '/machines', '/healthz'))
  .map(([body, method, target]): HostileCase => ({ request: { method, target, headers: [['Content-Type', 'application/json']], body: jsonText(body) }, expect: 'rejected' }));
