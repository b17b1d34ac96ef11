import { expect } from 'vitest';
import { placeOrderBody } from './orderRequests.ts';

/**
 * Requests to a running api that report how long each took, for tests that bound an answer's time;
 * `baseUrl` is read at each call (a suite may learn it in `beforeAll`).
 */
export function timedRequests(baseUrl: () => string, timeoutMs: number) {
  const timed = async (path: string, init: RequestInit = {}) => {
    const started = Date.now();
    const response = await fetch(`${baseUrl()}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json()) as Record<string, unknown>;
    return { response, body, ms: Date.now() - started };
  };
  /** Places an order of `customerId` and resolves to its id. */
  const place = async (customerId: string) => {
    const { response, body } = await timed('/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(placeOrderBody({ customerId })) });
    expect(response.status).toBe(202);
    return body.orderId as string;
  };
  return { timed, place };
}
