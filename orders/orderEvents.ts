import { z } from 'zod';
import type { OrderSagaV2Event } from '../machines/orderSagaV2Types.ts';
import type { OrderSagaEvent } from '../machines/orderTypes.ts';
import type { EventRule } from '../runtime/sagaDefinition.ts';
import { checkWith, minorUnits, orderItem, shippingAddress, text } from './orderSchemas.ts';

/** A reply: a fact of the saga only as the answer to one of `commands` that it emitted and still awaits. */
export const reply = (commands: readonly string[], data: z.ZodType): EventRule => ({ check: checkWith(data), answers: commands });

/** An event that answers no command (the start event, an operator's decision): its shape is its only rule. */
export const event = (data: z.ZodType): EventRule => ({ check: checkWith(data) });

const settings = z.object({
  paymentTimeoutMs: z.number().int().positive(),
  maxAttempts: z.number().int().positive(),
  // Absent from streams started before they existed: the machine defaults them.
  retryBaseMs: z.number().int().positive().optional(),
  retryMaxMs: z.number().int().positive().optional(),
  parkAfterAttempts: z.number().int().positive().optional(),
});

const order = z.object({
  orderId: text,
  customerId: text,
  currency: text,
  items: z.array(orderItem).min(1),
  total: minorUnits,
  paymentToken: text,
  shippingAddress,
  placedAt: z.iso.datetime(),
});

const orderPlaced = z.object({ order, settings });

/** v2 pins the fraud review's settings too; the machine defaults any that are absent. */
const orderPlacedV2 = z.object({
  order,
  settings: settings.extend({
    fraudReviewAboveMinor: minorUnits.optional(),
    fraudReviewDeadlineMs: z.number().int().positive().optional(),
    fraudScoreTimeoutMs: z.number().int().positive().optional(),
  }),
});

const amount = z.object({ amount: minorUnits });
const failure = z.object({ reason: text, retryable: z.boolean() });
const nothing = z.object({});
/** Who acted by hand, and why (a retry or resume may say nothing). */
const operatorAction = z.object({ operator: text, reason: z.string().max(500) });

/**
 * Every message the order saga accepts, by type, with the shape of its data (machines/orderTypes.ts,
 * the participants' replies) and, for a reply, the commands it answers. Extra fields are let
 * through: a participant may say more than the saga reads. The type makes every event of the
 * machine need an entry here; an operator's event is added with `event(...)`.
 */
export const orderSagaEvents = {
  OrderPlaced: event(orderPlaced),
  PaymentCaptured: reply(['CapturePayment'], amount),
  PaymentFailed: reply(['CapturePayment'], failure),
  PaymentRefunded: reply(['RefundPayment'], amount),
  PaymentRefundFailed: reply(['RefundPayment'], failure),
  StockReserved: reply(['ReserveStock'], nothing),
  StockReservationFailed: reply(['ReserveStock'], failure),
  StockReleased: reply(['ReleaseStock'], nothing),
  StockReleaseFailed: reply(['ReleaseStock'], failure),
  ShipmentCreated: reply(['CreateShipment'], z.object({ shipmentId: text })),
  ShipmentFailed: reply(['CreateShipment'], failure),
  RetryRequested: event(operatorAction),
  ResumeRequested: event(operatorAction),
  CancelRequested: event(operatorAction),
} satisfies Record<OrderSagaEvent['type'] | 'OrderPlaced', EventRule>;

const verdict = z.enum(['clean', 'doubtful', 'fraud']);

/**
 * v2's messages: v1's, the fraud scorer's replies, and the operator's decision on a doubtful
 * order (sent with the admin API's signal, like any decision).
 */
export const orderSagaV2Events = {
  ...orderSagaEvents,
  OrderPlaced: event(orderPlacedV2),
  FraudScored: reply(['ScoreFraud'], z.object({ verdict, score: z.number().min(0).max(1) })),
  FraudScoringFailed: reply(['ScoreFraud'], failure),
  FraudReviewApproved: event(operatorAction),
  FraudReviewRejected: event(operatorAction),
} satisfies Record<OrderSagaV2Event['type'] | 'OrderPlaced', EventRule>;
