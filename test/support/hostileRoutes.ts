import { unescape } from 'node:querystring';
import fc from 'fast-check';
import type { HostileCase, HostileRoute } from './hostileCase.ts';
import { contentEncodingFault, contentTypeFault, idempotencyKeyFault, otherMethod } from './hostileOrderHeaders.ts';
import { duplicateKey, fieldFault, missingField, oversizedBody, unknownField, wholeBodyFault } from './hostileOrders.ts';
import { hostileString, numberLiteral, percentEncode, urlPiece } from './hostileValues.ts';
import type { RawRequest } from './rawHttp.ts';

type Param = readonly [name: string, value: string];

const get = (target: string, headers: RawRequest['headers'] = []): RawRequest => ({ method: 'GET', target, headers });
const withQuery = (path: string, params: readonly Param[]): string => (params.length === 0 ? path : `${path}?${params.map(([n, v]) => `${n}=${v}`).join('&')}`);

/** Header lines a client may add to any request; a control character makes Node's parser refuse it. */
const extraHeaders: fc.Arbitrary<RawRequest['headers']> = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom('Accept', 'Accept-Language', 'Accept-Encoding', 'X-Forwarded-For', 'X-Forwarded-Host', 'Cookie', 'Referer', 'User-Agent', 'Range', 'If-None-Match', 'Expect', 'Authorization', 'X-Api-Key', 'Origin'), fc.oneof(fc.constantFrom('*/*', 'bytes=0-0', 'bytes=999999-', '*', '100-continue', 'Bearer x', '../../', 'application/xml'), hostileString.map((s) => s.replace(/[\r\n]/g, '')))),
    fc.tuple(fc.string({ unit: fc.constantFrom(...'abcxyzXYZ-_0123456789!#$%&*+.^`|~'), minLength: 1, maxLength: 30 }), fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''))),
  ),
  { maxLength: 3 },
);

/** A query parameter: the route's own names and hostile ones, hostile values, names given twice. */
const param = (names: readonly string[]): fc.Arbitrary<Param> =>
  fc.tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...names) }, fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'limit[]', 'limit[0]', 'a.b', '', '%00', 'q%5B%5D'), hostileString.map(percentEncode)),
    fc.oneof(urlPiece, numberLiteral.map(percentEncode), fc.constant('')),
  );
const query = (names: readonly string[]): fc.Arbitrary<Param[]> => fc.array(param(names), { maxLength: 5 });

/** A path segment: a real id of `ids`, or any hostile piece. */
const segment = (ids: readonly string[]): fc.Arbitrary<string> => (ids.length > 0 ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...ids) }, { weight: 3, arbitrary: urlPiece }) : urlPiece);

/** Short enough for the request head: a longer target is a 431 before any parameter is read. */
const fitsInHead = (value: string): boolean => value.length < 4000;

/** Values no whole-number parameter from `min` to `max` takes, as written in a URL (`''` means absent, so never). */
const badCount = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.constantFrom('-1', '1.5', '1e1', '0x10', '%201', '1%20', '+1', '-0', 'NaN', 'Infinity', '1,000', '%EF%BC%91', '%D9%A1', 'true', '%00', '1%00', 'null', '%5B%5D', `${max}0`),
      numberLiteral.map(percentEncode),
      fc.bigInt({ min: BigInt(max) + 1n, max: 2n ** 70n }).map(String),
      urlPiece.filter(fitsInHead),
    )
    .filter((value) => {
      const decoded = unescape(value);
      return decoded !== '' && !(/^[0-9]{1,16}$/.test(decoded) && Number(decoded) >= min && Number(decoded) <= max);
    });

/** One parameter that is bad for sure (a bad number, or a name given twice) with harmless company. */
function badParam(counts: Readonly<Record<string, readonly [number, number]>>, singles: readonly string[]): fc.Arbitrary<{ params: Param[]; field: string }> {
  const number = fc.constantFrom(...Object.entries(counts)).chain(([name, [min, max]]) => badCount(min, max).map((value) => ({ params: [[name, value] as Param], field: name })));
  const twice = fc.tuple(fc.constantFrom(...Object.keys(counts), ...singles), fc.constantFrom('1', 'a', 'x'), fc.constantFrom('2', 'b', 'y')).map(([name, a, b]) => ({ params: [[name, a], [name, b]] as Param[], field: name }));
  const harmless = fc.array(fc.tuple(fc.constantFrom('unknown', 'utm_source', '__proto__', 'constructor'), fc.constantFrom('1', 'x', '')), { maxLength: 2 });
  return fc.tuple(fc.oneof(number, twice), harmless).map(([bad, more]) => ({ params: [...more, ...bad.params], field: bad.field }));
}

const anyCase = (target: fc.Arbitrary<string>): fc.Arbitrary<HostileCase> => fc.tuple(target, extraHeaders).map(([t, headers]): HostileCase => ({ request: get(t, headers), expect: 'any' }));
const badCase = (path: fc.Arbitrary<string>, bad: fc.Arbitrary<{ params: Param[]; field: string }>, status = 400): fc.Arbitrary<HostileCase> =>
  fc.tuple(path, bad).map(([p, { params, field }]): HostileCase => ({ request: get(withQuery(p, params)), expect: 'rejected', status, field }));

const SEARCH = ['customerId', 'status', 'state', 'sku', 'q', 'limit', 'offset'];
const PAGE = { limit: [0, 500], offset: [0, 10_000] } as const;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MACHINE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

/** What the dashboard's static files must never give away: the repository's own files, the machine's. */
const NOT_SERVED = /"devDependencies"|root:x:0:0|\[core\]|"compilerOptions"/;

/**
 * Every route of the API and the requests the suite throws at it. A new route gets an entry here;
 * `cases` builds its requests from what exists (`known`), `runs` is how many the suite sends.
 */
export const HOSTILE_ROUTES: readonly HostileRoute[] = [
  { route: 'POST /orders: a field no field of its kind takes', runs: 150, cases: () => fieldFault },
  { route: 'POST /orders: a required field missing', runs: 40, cases: () => missingField },
  { route: 'POST /orders: an unknown key (__proto__, constructor, …)', runs: 60, cases: () => unknownField },
  { route: 'POST /orders: a key given twice', runs: 60, cases: () => duplicateKey },
  { route: 'POST /orders: no order at all (any JSON, deep, not JSON)', runs: 120, cases: () => wholeBodyFault },
  { route: 'POST /orders: over 64 kB', runs: 10, cases: () => oversizedBody },
  { route: 'POST /orders: content type and charset', runs: 60, cases: () => contentTypeFault },
  { route: 'POST /orders: content encoding', runs: 20, cases: () => contentEncodingFault },
  { route: 'POST /orders: Idempotency-Key', runs: 80, cases: (known) => idempotencyKeyFault(known) },
  { route: 'other methods', runs: 30, cases: () => otherMethod },
  {
    route: 'GET /orders',
    runs: 100,
    cases: () =>
      fc.oneof(
        anyCase(query(SEARCH).map((params) => withQuery('/orders', params))),
        badCase(fc.constant('/orders'), badParam(PAGE, ['customerId', 'status', 'state', 'sku', 'q'])),
        badCase(
          fc.constant('/orders'),
          hostileString.filter((s) => !['', 'PENDING', 'COMPLETED', 'FAILED'].includes(s) && fitsInHead(percentEncode(s))).map((s) => ({ params: [['status', percentEncode(s)] as Param], field: 'status' })),
        ),
      ),
  },
  {
    route: 'GET /orders/:id',
    runs: 100,
    cases: (known) =>
      fc.oneof(
        anyCase(fc.tuple(segment(known.orderIds), query(['minVersion'])).map(([id, params]) => withQuery(`/orders/${id}`, params))),
        badCase(fc.constantFrom(...known.orderIds, 'no-such-order').map((id) => `/orders/${id}`), badParam({ minVersion: [1, MAX_SAFE] }, [])),
        // Versions no order reaches: answered at once (409), not after waiting for the projection.
        badCase(fc.constantFrom(...known.orderIds).map((id) => `/orders/${id}`), fc.integer({ min: 100, max: MAX_SAFE }).map((v) => ({ params: [['minVersion', String(v)] as Param], field: 'minVersion' })), 409),
      ),
  },
  { route: 'GET /orders/:id/history', runs: 50, cases: (known) => anyCase(fc.tuple(segment(known.orderIds), query(['from'])).map(([id, params]) => withQuery(`/orders/${id}/history`, params))) },
  { route: 'GET /stats/orders', runs: 20, cases: () => anyCase(query(['status']).map((params) => withQuery('/stats/orders', params))) },
  { route: 'GET /machines', runs: 20, cases: () => anyCase(query(['id']).map((params) => withQuery('/machines', params))) },
  ...['', '/layout', '/stats'].map(
    (suffix): HostileRoute => ({
      route: `GET /machines/:id${suffix}`,
      runs: 40,
      cases: (known) =>
        fc.oneof(
          anyCase(fc.tuple(segment([...known.machineIds, ...MACHINE_NAMES]), query(['version'])).map(([id, params]) => withQuery(`/machines/${id}${suffix}`, params))),
          badCase(fc.constantFrom(...known.machineIds).map((id) => `/machines/${id}${suffix}`), badParam({ version: [0, MAX_SAFE] }, [])),
        ),
    }),
  ),
  {
    route: 'GET /machines/:id/sagas',
    runs: 60,
    cases: (known) =>
      fc.oneof(
        anyCase(fc.tuple(segment([...known.machineIds, ...MACHINE_NAMES]), query(['state', 'q', 'limit', 'offset', 'version'])).map(([id, params]) => withQuery(`/machines/${id}/sagas`, params))),
        badCase(fc.constantFrom(...known.machineIds).map((id) => `/machines/${id}/sagas`), badParam(PAGE, ['state', 'q'])),
      ),
  },
  {
    route: 'GET /machines/:id/sagas/:sagaId',
    runs: 50,
    cases: (known) => anyCase(fc.tuple(segment([...known.machineIds, ...MACHINE_NAMES]), segment(known.orderIds)).map(([id, sagaId]) => `/machines/${id}/sagas/${sagaId}`)),
  },
  {
    route: 'GET / and /ui/…',
    runs: 50,
    cases: () =>
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom('/', '/ui', '/ui/', '/ui/index.html', '/ui/../package.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/..%2f..%2fpackage.json', '/ui/..%5c..%5cpackage.json', '/ui//etc/passwd', '/ui/%2Fetc%2Fpasswd', '/ui/index.html%00.js', '/ui/.git/config', '/ui/%2e%2e%2f%2e%2e%2ftsconfig.json', '/ui/....//....//package.json', '/ui/..;/package.json'),
            fc.array(urlPiece, { minLength: 1, maxLength: 4 }).map((parts) => `/ui/${parts.join('/')}`),
          ),
          extraHeaders,
        )
        .map(([target, headers]): HostileCase => ({ request: get(target, headers), expect: 'any', notServed: NOT_SERVED })),
  },
  { route: 'GET /openapi.json', runs: 20, cases: () => anyCase(query(['format']).map((params) => withQuery('/openapi.json', params))) },
  {
    route: 'GET /docs and /docs/…',
    runs: 50,
    cases: () =>
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom(
              '/docs', '/docs/', '/docs/index.html', '/docs/swagger-ui-bundle.js', '/docs/swagger-initializer.js', '/docs/oauth2-redirect.html', '/docs/package.json',
              '/docs/../package.json', '/docs/%2e%2e/%2e%2e/package.json', '/docs/..%2f..%2fpackage.json', '/docs/..%2fswagger-ui-dist%2fpackage.json', '/docs//etc/passwd', '/docs/index.html%00.js', '/docs/....//....//package.json',
            ),
            fc.array(urlPiece, { minLength: 1, maxLength: 4 }).map((parts) => `/docs/${parts.join('/')}`),
          ),
          extraHeaders,
        )
        // Swagger UI's own initializer loads a petstore from the internet: it must not be what is served.
        .map(([target, headers]): HostileCase => ({ request: get(target, headers), expect: 'any', notServed: new RegExp(`${NOT_SERVED.source}|petstore`) })),
  },
  { route: 'GET /healthz', runs: 20, cases: () => anyCase(query(['verbose']).map((params) => withQuery('/healthz', params))) },
  { route: 'GET /readyz', runs: 20, cases: () => anyCase(query(['verbose']).map((params) => withQuery('/readyz', params))) },
  { route: 'GET /metrics', runs: 20, cases: () => anyCase(query(['name[]', 'format']).map((params) => withQuery('/metrics', params))) },
  {
    route: 'no such route, odd targets',
    runs: 60,
    cases: () =>
      anyCase(
        fc.oneof(
          fc.constantFrom('*', 'http://evil.example/orders', '//orders', '/orders//x', '/%2e%2e/orders', '/orders/..', '/ORDERS', '/orders;x', '/orders?%', '/orders?&&&=&', 'é', '/a b', '/\u0001', '/orders#x', `/${'x/'.repeat(3000)}`),
          fc.array(urlPiece, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
        ),
      ),
  },
];
