import { z } from 'zod';
import type { OrderView } from './orderView.ts';

const count = z.number().int().nonnegative();
const instant = z.iso.datetime().meta({ description: 'ISO 8601, UTC.' });

const attention = z
  .strictObject({
    reason: z.string().meta({ description: '`COMPENSATION_PARKED`, `FRAUD_REVIEW` (an operator approves or rejects the order), or `POISON_MESSAGE` while the order has a dead letter nobody replayed.' }),
    since: instant,
    attempts: count,
    lastError: z.string(),
  })
  .meta({ id: 'OrderAttention', description: 'Why the order waits for a human.' });

/**
 * The order as `GET /orders/:id`, searches and the admin lists show it (`OrderView`): the schema
 * the OpenAPI document shows and the contract test holds real answers to.
 */
export const orderViewSchema = z
  .strictObject({
    orderId: z.string(),
    customerId: z.string(),
    status: z.enum(['PENDING', 'COMPLETED', 'FAILED']).meta({ description: '`PENDING` until the saga ends (a parked saga too).' }),
    state: z.string().meta({ description: 'The statechart state, dotted: `payment.capturing`, `compensating.refundingPayment.parked`.' }),
    failureReason: z
      .string()
      .nullable()
      .meta({
        description:
          'Why a FAILED order failed: `PAYMENT_DECLINED`, `PAYMENT_TIMEOUT`, `PAYMENT_UNAVAILABLE`, `OUT_OF_STOCK`, `INVENTORY_UNAVAILABLE`, `UNDELIVERABLE`, `SHIPPING_UNAVAILABLE`, `CANCELLED`, `FRAUD_REJECTED`, or a participant’s own reason.',
      }),
    total: count.meta({ description: 'In minor units of the currency.' }),
    currency: z.string(),
    items: z.array(z.strictObject({ sku: z.string(), quantity: count, unitPrice: count })),
    steps: z.array(
      z.strictObject({ step: z.enum(['payment', 'inventory', 'shipping']), action: z.enum(['capture', 'reserve', 'ship', 'release', 'refund']) }),
    ),
    attempts: z
      .strictObject({ capture: count, reserve: count, ship: count, release: count, refund: count, score: count.optional() })
      .meta({ description: 'Attempts per action; `score` (the fraud review) from machine version 2.' }),
    attention: attention.nullable(),
    version: z.number().int().positive().meta({ description: 'The version of the order’s stream this view reflects.' }),
    machineVersion: z.number().int().positive().meta({ description: 'The version of the order saga’s machine the order runs on, pinned when it was placed.' }),
    placedAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'OrderView' }) satisfies z.ZodType<OrderView>;
