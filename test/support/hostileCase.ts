import type fc from 'fast-check';
import type { RawRequest } from './rawHttp.ts';

/**
 * One generated request and what the API must answer. Every answer of 400 or more must be a 4xx
 * problem document, and no request of the suite may write anything.
 */
export type HostileCase = Readonly<{
  request: RawRequest;
  /** `rejected`: the request is bad and must get a 4xx. `any`: it may also be served (2xx, 3xx). */
  expect: 'rejected' | 'any';
  /** The status a rejection must have, when only one is right (413, 415, …). */
  status?: number;
  /** The field a 400 must name in `errors` (`items[0].quantity`, `Idempotency-Key`, `limit`). */
  field?: string;
  /** What the answer's body must never contain (a file outside the dashboard's folder). */
  notServed?: RegExp;
}>;

/** What exists in the system under test, so that generated requests also hit real orders and machines. */
export type Known = Readonly<{
  orderIds: readonly string[];
  machineIds: readonly string[];
  /** An Idempotency-Key already used by a stored order (with another body than any generated). */
  usedIdempotencyKey: string;
}>;

/**
 * A route and the requests thrown at it. Add a route to the API, add an entry to the list in
 * `hostileRoutes.ts`: the suite runs `runs` generated cases of each entry.
 */
export type HostileRoute = Readonly<{
  route: string;
  runs: number;
  cases: (known: Known) => fc.Arbitrary<HostileCase>;
}>;
