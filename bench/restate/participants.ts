import * as restate from '@restatedev/restate-sdk';
import type { OrderItem, ShippingAddress } from '../../machines/orderTypes.ts';
import { AMPLE_STOCK, SOLD_OUT_SKU } from '../../participants/inventory.ts';
import { TEST_TOKENS } from '../../participants/payment.ts';
import { UNDELIVERABLE_COUNTRY } from '../../participants/shipping.ts';
import { BENCH_RETRY_SCHEDULE } from '../benchRetrySchedule.ts';

/** How many attempts `tok_flaky` fails before it succeeds, as in xsaga's payment participant. */
export const FLAKY_FAILURES = 2;
/** SKUs of this shape start with ample stock the first time they are ordered, as in xsaga's inventory. */
const STOCKED_SKU = /^SKU-\d+$/;

/** A business refusal: part of the reply, never retried. */
type Refusal = Readonly<{ reason: string; retryable: false }>;

export type CaptureRequest = Readonly<{ orderId: string; amount: number; currency: string; paymentToken: string }>;
export type RefundRequest = Readonly<{ orderId: string; amount: number; currency: string }>;
export type StockRequest = Readonly<{ orderId: string; items: readonly OrderItem[] }>;
export type ShipmentRequest = Readonly<{ orderId: string; address: ShippingAddress; items: readonly OrderItem[] }>;

export type CaptureReply = Readonly<{ type: 'PaymentCaptured'; data: { amount: number } } | { type: 'PaymentFailed'; data: Refusal }>;
export type RefundReply = Readonly<{ type: 'PaymentRefunded'; data: { amount: number } }>;
export type ReserveReply = Readonly<{ type: 'StockReserved'; data: Record<string, never> } | { type: 'StockReservationFailed'; data: Refusal }>;
export type ReleaseReply = Readonly<{ type: 'StockReleased'; data: Record<string, never> }>;
export type ShipmentReply = Readonly<{ type: 'ShipmentCreated'; data: { shipmentId: string } } | { type: 'ShipmentFailed'; data: Refusal }>;

/**
 * Invocation retries of a forward step: up to `maxAttempts` attempts in all (the first included),
 * then the call is killed and the saga sees a terminal error. The waits are the benchmark's retry
 * schedule, which xsaga and the baseline back off by too, rather than Restate's default 500 ms.
 */
export const forwardRetryPolicy = (maxAttempts: number): restate.RetryPolicy => ({
  maxAttempts,
  onMaxAttempts: 'kill',
  initialInterval: BENCH_RETRY_SCHEDULE.initialMs,
  exponentiationFactor: 2,
  maxInterval: BENCH_RETRY_SCHEDULE.maxMs,
});

/** A compensation is never dropped: past the server's attempt limit it pauses and waits to be resumed. */
export const compensationRetryPolicy: restate.RetryPolicy = {
  onMaxAttempts: 'pause',
  initialInterval: BENCH_RETRY_SCHEDULE.initialMs,
  exponentiationFactor: 2,
  maxInterval: BENCH_RETRY_SCHEDULE.maxMs,
};

const refusal = (reason: string): Refusal => ({ reason, retryable: false });

/**
 * Final outcomes kept per order and operation and replayed to a retried invocation, like the
 * outcome tables of xsaga's participants. Restate journals the reply in the caller, so a
 * duplicate can only come from an attempt that performed the effect but whose reply was lost.
 */
function outcomeStore<T>(): (orderId: string, decide: () => T) => T {
  const outcomes = new Map<string, T>();
  return (orderId, decide) => {
    const stored = outcomes.get(orderId);
    if (stored !== undefined) return stored;
    const outcome = decide();
    outcomes.set(orderId, outcome);
    return outcome;
  };
}

/**
 * The payment provider: a ledger of captures and refunds in memory. A refund of a payment that was
 * never captured records a zero refund, which also voids any capture that arrives after it.
 */
export function createPaymentService(maxAttempts: number) {
  const captured = new Map<string, number>();
  const refunded = new Set<string>();
  const flakyAttempts = new Map<string, number>();
  const captures = outcomeStore<CaptureReply>();
  const refunds = outcomeStore<RefundReply>();
  return restate.service({
    name: 'payment',
    handlers: {
      capture: restate.createServiceHandler(
        { retryPolicy: forwardRetryPolicy(maxAttempts), ingressPrivate: true },
        async (ctx: restate.Context, request: CaptureRequest): Promise<CaptureReply> => {
          // A provider that never answers: the call stays open on a promise nobody completes, until the saga's deadline cancels it.
          if (request.paymentToken === TEST_TOKENS.noAnswer) await ctx.awakeable<never>().promise;
          if (request.paymentToken === TEST_TOKENS.flaky) {
            const attempt = (flakyAttempts.get(request.orderId) ?? 0) + 1;
            flakyAttempts.set(request.orderId, attempt);
            // A plain error is retryable: Restate runs the invocation again under the handler's retry policy.
            if (attempt <= FLAKY_FAILURES) throw new Error('PAYMENT_PROVIDER_UNAVAILABLE');
          }
          return captures(request.orderId, (): CaptureReply => {
            if (refunded.has(request.orderId)) return { type: 'PaymentFailed', data: refusal('PAYMENT_VOIDED') };
            if (request.paymentToken === TEST_TOKENS.declined) return { type: 'PaymentFailed', data: refusal('PAYMENT_DECLINED') };
            captured.set(request.orderId, request.amount);
            return { type: 'PaymentCaptured', data: { amount: request.amount } };
          });
        },
      ),
      refund: restate.createServiceHandler(
        { retryPolicy: compensationRetryPolicy, ingressPrivate: true },
        async (_ctx: restate.Context, request: RefundRequest): Promise<RefundReply> =>
          refunds(request.orderId, (): RefundReply => {
            refunded.add(request.orderId);
            return { type: 'PaymentRefunded', data: { amount: captured.get(request.orderId) ?? 0 } };
          }),
      ),
    },
  });
}

/** Sums quantities per SKU: an order may name a SKU twice. */
function quantitiesBySku(items: readonly OrderItem[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.sku, (totals.get(item.sku) ?? 0) + item.quantity);
  return totals;
}

/** The inventory service: stock per SKU in memory, and a reservation or release per order. */
export function createInventoryService(maxAttempts: number) {
  const available = new Map<string, number>();
  const reserved = new Set<string>();
  const released = new Set<string>();
  const reservations = outcomeStore<ReserveReply>();
  const releases = outcomeStore<ReleaseReply>();
  const stockOf = (sku: string): number => {
    if (!available.has(sku) && (STOCKED_SKU.test(sku) || sku === SOLD_OUT_SKU)) available.set(sku, sku === SOLD_OUT_SKU ? 0 : AMPLE_STOCK);
    return available.get(sku) ?? 0;
  };
  const move = (wanted: ReadonlyMap<string, number>, sign: 1 | -1) => {
    for (const [sku, quantity] of wanted) available.set(sku, stockOf(sku) + sign * quantity);
  };
  return restate.service({
    name: 'inventory',
    handlers: {
      reserve: restate.createServiceHandler(
        { retryPolicy: forwardRetryPolicy(maxAttempts), ingressPrivate: true },
        async (_ctx: restate.Context, request: StockRequest): Promise<ReserveReply> =>
          reservations(request.orderId, (): ReserveReply => {
            const wanted = quantitiesBySku(request.items);
            if (released.has(request.orderId)) return { type: 'StockReservationFailed', data: refusal('RESERVATION_CANCELLED') };
            if ([...wanted].some(([sku, quantity]) => stockOf(sku) < quantity)) return { type: 'StockReservationFailed', data: refusal('OUT_OF_STOCK') };
            move(wanted, -1);
            reserved.add(request.orderId);
            return { type: 'StockReserved', data: {} };
          }),
      ),
      release: restate.createServiceHandler(
        { retryPolicy: compensationRetryPolicy, ingressPrivate: true },
        async (_ctx: restate.Context, request: StockRequest): Promise<ReleaseReply> =>
          releases(request.orderId, (): ReleaseReply => {
            if (reserved.has(request.orderId) && !released.has(request.orderId)) move(quantitiesBySku(request.items), +1);
            released.add(request.orderId);
            return { type: 'StockReleased', data: {} };
          }),
      ),
    },
  });
}

/** The shipping service: one shipment per order, refused for addresses no carrier serves. */
export function createShippingService(maxAttempts: number) {
  const shipments = outcomeStore<ShipmentReply>();
  return restate.service({
    name: 'shipping',
    handlers: {
      create: restate.createServiceHandler(
        { retryPolicy: forwardRetryPolicy(maxAttempts), ingressPrivate: true },
        async (_ctx: restate.Context, request: ShipmentRequest): Promise<ShipmentReply> =>
          shipments(request.orderId, (): ShipmentReply => {
            if (request.address.country === UNDELIVERABLE_COUNTRY) return { type: 'ShipmentFailed', data: refusal('UNDELIVERABLE') };
            return { type: 'ShipmentCreated', data: { shipmentId: `shp-${request.orderId}` } };
          }),
      ),
    },
  });
}

export type PaymentService = ReturnType<typeof createPaymentService>;
export type InventoryService = ReturnType<typeof createInventoryService>;
export type ShippingService = ReturnType<typeof createShippingService>;
