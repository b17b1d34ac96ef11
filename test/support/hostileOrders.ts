import fc from 'fast-check';
import { ORDER_LIMITS } from '../../orders/placeOrderRequest.ts';
import type { HostileCase } from './hostileCase.ts';
import { controlCharacter, deepNesting, EXOTIC_TEXT, hostileString, jsonDoc, jsonText, loneSurrogate, numberish, stringDoc, toDoc, type JsonDoc } from './hostileValues.ts';
import { addEntry, fieldPath, getAt, removeAt, setAt, type Path } from './jsonDocPaths.ts';
import { placeOrderBody } from './orderRequests.ts';
import type { RawRequest } from './rawHttp.ts';

// --- What an order body holds, and values no field of a kind accepts ------------------------------

type Kind = 'id' | 'currency' | 'sku' | 'country' | 'text' | 'quantity' | 'unitPrice' | 'items' | 'item' | 'address';

const ITEM_FIELDS = (i: number): [Path, Kind][] => [
  [['items', i], 'item'],
  [['items', i, 'sku'], 'sku'],
  [['items', i, 'quantity'], 'quantity'],
  [['items', i, 'unitPrice'], 'unitPrice'],
];
const ADDRESS_TEXT = ['name', 'line1', 'city', 'postalCode'] as const;
const FIELDS: readonly [Path, Kind][] = [
  [['customerId'], 'id'],
  [['currency'], 'currency'],
  [['paymentToken'], 'id'],
  [['items'], 'items'],
  ...ITEM_FIELDS(0),
  ...ITEM_FIELDS(1),
  [['shippingAddress'], 'address'],
  ...ADDRESS_TEXT.map((name): [Path, Kind] => [['shippingAddress', name], 'text']),
  [['shippingAddress', 'line2'], 'text'],
  [['shippingAddress', 'country'], 'country'],
];
/** Keys that must be there (an array element cannot be missing, only wrong). */
const REQUIRED = FIELDS.filter(([path]) => typeof path.at(-1) === 'string' && path.at(-1) !== 'line2');
/** The objects of a body and the keys each allows. */
const OBJECTS: readonly { path: Path; keys: readonly string[] }[] = [
  { path: [], keys: ['customerId', 'currency', 'items', 'paymentToken', 'shippingAddress'] },
  { path: ['items', 0], keys: ['sku', 'quantity', 'unitPrice'] },
  { path: ['items', 1], keys: ['sku', 'quantity', 'unitPrice'] },
  { path: ['shippingAddress'], keys: ['name', 'line1', 'line2', 'city', 'postalCode', 'country'] },
];

/** The patterns of the contract, written out again as a second reading of it: a string that misses one is refused. */
const PATTERNS: Partial<Record<Kind, RegExp>> = { id: /^[A-Za-z0-9._:@-]{1,128}$/, sku: /^[A-Za-z0-9._-]{1,64}$/, currency: /^[A-Z]{3}$/, country: /^[A-Z]{2}$/ };

const isString = (doc: JsonDoc): boolean => 'raw' in doc && doc.raw.startsWith('"');
const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 });
const notA = (kind: 'string' | 'number' | 'array' | 'object'): fc.Arbitrary<JsonDoc> =>
  jsonDoc(2).filter((doc) => {
    if (kind === 'string') return !isString(doc);
    if (kind === 'array') return !('array' in doc);
    if (kind === 'object') return !('object' in doc);
    return !('raw' in doc) || !(typeof JSON.parse(doc.raw) === 'number');
  });

/** Text no text field takes: blank, past the limit, or holding a control character or an unpaired surrogate. */
const badText: fc.Arbitrary<JsonDoc> = fc.oneof(
  fc.constantFrom('', ' ', '\t \n', '\u00a0', '\u3000', '\ufeff').map(stringDoc),
  fc.integer({ min: ORDER_LIMITS.maxText + 1, max: 2000 }).map((n) => stringDoc('y'.repeat(n))),
  fc.tuple(printable, fc.oneof(controlCharacter, loneSurrogate), printable).map(([a, bad, b]) => stringDoc(`${a}${bad}${b}`)),
  notA('string'),
);

const badWholeNumber = (min: number, max: number): fc.Arbitrary<JsonDoc> =>
  fc.oneof(
    numberish.filter((doc) => {
      const value: unknown = 'raw' in doc ? JSON.parse(doc.raw) : undefined;
      return !(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max);
    }),
    notA('number'),
  );

const validItem = { sku: 'SKU-1', quantity: 1, unitPrice: 1 };
const BAD_VALUES: Record<Kind, fc.Arbitrary<JsonDoc>> = {
  id: fc.oneof(badText, hostileString.filter((s) => !PATTERNS.id!.test(s)).map(stringDoc)),
  currency: fc.oneof(badText, hostileString.filter((s) => !PATTERNS.currency!.test(s)).map(stringDoc), fc.constantFrom('eur', 'EURO', 'EU', 'ЕUR').map(stringDoc)),
  sku: fc.oneof(badText, hostileString.filter((s) => !PATTERNS.sku!.test(s)).map(stringDoc)),
  country: fc.oneof(badText, hostileString.filter((s) => !PATTERNS.country!.test(s)).map(stringDoc), fc.constantFrom('de', 'DEU', 'Germany').map(stringDoc)),
  text: badText,
  quantity: badWholeNumber(1, ORDER_LIMITS.maxQuantity),
  unitPrice: badWholeNumber(0, ORDER_LIMITS.maxUnitPrice),
  items: fc.oneof(fc.constant<JsonDoc>({ array: [] }), fc.integer({ min: ORDER_LIMITS.maxItems + 1, max: 150 }).map((n) => toDoc(Array.from({ length: n }, () => validItem))), notA('array')),
  item: notA('object'),
  address: notA('object'),
};

// --- Valid bodies, made exotic where the contract allows it ----------------------------------------

const plainExotic = fc
  .oneof(fc.constantFrom(...EXOTIC_TEXT), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }))
  .filter((s) => s.trim() !== '' && s.length <= ORDER_LIMITS.maxText && s.isWellFormed() && !/\p{Cc}/u.test(s));

/**
 * A body the API accepts: right-to-left and emoji text in the address, numbers at their limits
 * written as a client might (`1.0`, `1e4`, `-0`), a 128-character customer id. A case adds one fault.
 */
export const validBody: fc.Arbitrary<JsonDoc> = fc
  .record({
    texts: fc.tuple(...ADDRESS_TEXT.map(() => fc.option(plainExotic, { nil: undefined }))),
    line2: fc.option(plainExotic, { nil: undefined }),
    quantity: fc.constantFrom('1', '2', '10000', '1.0', '1e4', '0.01e2'),
    unitPrice: fc.constantFrom('0', '-0', '1999', '100000000', '1e8', '0.0'),
    longCustomer: fc.boolean(),
  })
  .map(({ texts, line2, quantity, unitPrice, longCustomer }) => {
    let doc = toDoc(placeOrderBody({ customerId: longCustomer ? `c${'-'.repeat(127)}` : 'cust-hostile' }));
    ADDRESS_TEXT.forEach((name, i) => {
      const text = texts[i];
      if (text !== undefined) doc = setAt(doc, ['shippingAddress', name], stringDoc(text));
    });
    if (line2 !== undefined) doc = setAt(doc, ['shippingAddress', 'line2'], stringDoc(line2));
    doc = setAt(doc, ['items', 0, 'quantity'], { raw: quantity });
    return setAt(doc, ['items', 1, 'unitPrice'], { raw: unitPrice });
  });

const postJson = (body: string, headers: RawRequest['headers'] = []): RawRequest => ({
  method: 'POST',
  target: '/orders',
  headers: [['Content-Type', 'application/json'], ...headers],
  body,
});

const rejectedField = (body: JsonDoc, field: string): HostileCase => ({ request: postJson(jsonText(body)), expect: 'rejected', status: 400, field });

/** One field holds a value no field of its kind accepts. */
export const fieldFault: fc.Arbitrary<HostileCase> = fc
  .tuple(validBody, fc.constantFrom(...FIELDS))
  .chain(([body, [path, kind]]) => BAD_VALUES[kind].map((bad) => rejectedField(setAt(body, path, bad), fieldPath(path))));

/** A required field is missing. */
export const missingField: fc.Arbitrary<HostileCase> = fc.tuple(validBody, fc.constantFrom(...REQUIRED)).map(([body, [path]]) => rejectedField(removeAt(body, path), fieldPath(path)));

/** An object has a key the contract does not know: `__proto__`, `constructor`, anything. */
export const unknownField: fc.Arbitrary<HostileCase> = fc
  .tuple(validBody, fc.constantFrom(...OBJECTS), fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty')), jsonDoc(2), fc.nat())
  .filter(([, object, key]) => !object.keys.includes(key))
  .map(([body, object, key, value, position]) => {
    const field = object.path.length === 0 ? key : `${fieldPath(object.path)}.${key}`;
    return rejectedField(addEntry(body, object.path, [key, value], position), field);
  });

/** An object names one of its keys twice, the same or another value, the key maybe spelled with an escape. */
export const duplicateKey: fc.Arbitrary<HostileCase> = fc
  .tuple(validBody, fc.constantFrom(...OBJECTS.map((o) => ({ ...o, keys: o.keys.filter((k) => k !== 'line2') }))), fc.nat(), fc.option(jsonDoc(2)), fc.boolean(), fc.nat())
  .map(([body, object, pick, other, escaped, position]) => {
    const key = object.keys[pick % object.keys.length]!;
    const path = [...object.path, key];
    const keyText = escaped ? `"\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}"` : undefined;
    const value = other ?? getAt(body, path);
    return rejectedField(addEntry(body, object.path, [key, value, keyText], position), fieldPath(path));
  });

const MALFORMED_JSON = [
  'NaN', 'Infinity', '-Infinity', 'undefined', "{'customerId':'c'}", '{"a":1,}', '[1,]', '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":1}/* */',
  '{"a":"\u0000"}', '{"a":"\\x41"}', '{"a":"\\ud800"}', '"\\ud800"', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"polluted":1}}}',
  '\u00a0{}', '{} {}', '{"a":1}}', '{"a"}', '{:1}', 'true', 'null', '0', '""', '[]', '{}', ' ', '',
] as const;

/** A body that is no order at all: any JSON value, nesting tens of thousands deep, or text that is not JSON. */
export const wholeBodyFault: fc.Arbitrary<HostileCase> = fc
  .oneof(
    { weight: 4, arbitrary: jsonDoc(6).map(jsonText) },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON) },
    { weight: 1, arbitrary: fc.tuple(validBody, fc.nat()).map(([body, cut]) => jsonText(body).slice(0, cut % jsonText(body).length)) },
    { weight: 1, arbitrary: hostileString },
    { weight: 1, arbitrary: deepNestingOrFlood() },
  )
  .map((body): HostileCase => ({ request: postJson(body), expect: 'rejected' }));

function deepNestingOrFlood(): fc.Arbitrary<string> {
  // Many keys and many numbers: work for the parser and the duplicate check, under the size limit.
  const flood = fc.integer({ min: 1000, max: 4500 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`);
  return fc.oneof(deepNesting, flood);
}

/** A valid order made larger than the 64 kB the API accepts, by a long text or many items. */
export const oversizedBody: fc.Arbitrary<HostileCase> = fc
  .tuple(validBody, fc.integer({ min: 65 * 1024, max: 200 * 1024 }), fc.boolean())
  .map(([body, size, longText]): HostileCase => {
    const grown = longText ? setAt(body, ['shippingAddress', 'line2'], stringDoc('z'.repeat(size))) : setAt(body, ['items'], toDoc(Array.from({ length: Math.ceil(size / 40) }, () => validItem)));
    return { request: postJson(jsonText(grown)), expect: 'rejected', status: 413 };
  });
