import { orderRequestFor, scenarioFor } from '../app/orderMix.ts';

/** One order as its client lived it: every attempt with the same Idempotency-Key. */
export type SubmittedOrder = {
  index: number;
  idempotencyKey: string;
  firstSentAt: number;
  /** When the first 2xx came back, and the order id it named. */
  acceptedAt?: number;
  orderId?: string;
  /** Every order id any answer named for this key: more than one is a duplicate. */
  orderIds: Set<string>;
  attempts: number;
  /** An answer that retrying cannot mend (4xx other than 429). */
  refused?: string;
  lastError?: string;
};

export type OpenLoopOptions = Readonly<{
  url: string;
  ratePerSecond: number;
  durationMs: number;
  keyPrefix: string;
  /** An attempt that has not answered by then is abandoned and retried, as a client's timeout would. */
  attemptTimeoutMs?: number;
  /** A client stops retrying an order this long after its first attempt. */
  giveUpAfterMs?: number;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An open-loop client: orders leave at a steady rate whatever the system's state, each retried with
 * its Idempotency-Key on errors, timeouts, 5xx and 429, with capped backoff, as a real client would.
 * A commit whose answer was lost (the API died in between) is then answered by the retry.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<SubmittedOrder[]> {
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 180_000;
  const orders: SubmittedOrder[] = [];
  const inFlight: Promise<void>[] = [];

  async function submit(order: SubmittedOrder): Promise<void> {
    const body = JSON.stringify(orderRequestFor(order.index, scenarioFor(order.index)));
    for (let backoff = 250; Date.now() - order.firstSentAt < giveUpAfterMs; backoff = Math.min(backoff * 2, 2000)) {
      order.attempts++;
      try {
        const response = await fetch(`${options.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': order.idempotencyKey },
          body,
          signal: AbortSignal.timeout(attemptTimeoutMs),
        });
        const text = await response.text();
        if (response.ok) {
          const { orderId } = JSON.parse(text) as { orderId: string };
          order.orderIds.add(orderId);
          order.orderId ??= orderId;
          order.acceptedAt ??= Date.now();
          return;
        }
        if (response.status < 500 && response.status !== 429) {
          order.refused = `${response.status}: ${text.slice(0, 300)}`;
          return;
        }
        order.lastError = `${response.status}: ${text.slice(0, 200)}`;
      } catch (error) {
        order.lastError = (error as Error).message;
      }
      await sleep(backoff);
    }
  }

  const began = Date.now();
  const intervalMs = 1000 / options.ratePerSecond;
  for (let index = 0; ; index++) {
    const due = began + index * intervalMs;
    if (due - began >= options.durationMs) break;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const order: SubmittedOrder = { index, idempotencyKey: `${options.keyPrefix}-${index}`, firstSentAt: Date.now(), orderIds: new Set(), attempts: 0 };
    orders.push(order);
    inFlight.push(submit(order));
  }
  await Promise.all(inFlight);
  return orders;
}
