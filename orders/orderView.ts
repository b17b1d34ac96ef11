import type { OrderSagaV2Context } from '../machines/orderSagaV2Types.ts';
import type { FailureReason, OrderItem, OrderSagaContext, StepRecord } from '../machines/orderTypes.ts';
import { stateName } from '../runtime/stateName.ts';

export { stateName };

/** Why an order waits for a human, since when, and what it last tried; `null` while nothing needs one. */
export type OrderAttention = Readonly<{ reason: string; since: string; attempts: number; lastError: string }>;

export type OrderStatus = 'PENDING' | 'COMPLETED' | 'FAILED';

/** The read model's document for one order. */
export type OrderView = Readonly<{
  orderId: string;
  customerId: string;
  status: OrderStatus;
  /** The statechart state, dotted (`payment.capturing`, `compensating.refundingPayment.parked`). */
  state: string;
  failureReason: FailureReason | null;
  total: number;
  currency: string;
  items: readonly OrderItem[];
  steps: readonly StepRecord[];
  /** Per action; v2's fraud scoring adds `score`. */
  attempts: OrderSagaContext['attempts'] & Readonly<{ score?: number }>;
  attention: OrderAttention | null;
  version: number;
  /** The version of the order saga's machine its stream runs on (pinned when it started). */
  machineVersion: number;
  placedAt: string;
  updatedAt: string;
}>;


export function statusOf(state: string): OrderStatus {
  if (state === 'completed') return 'COMPLETED';
  if (state === 'failed') return 'FAILED';
  return 'PENDING';
}

/** The context of any version of the order saga: the view reads what they share. */
export type OrderViewContext = OrderSagaContext | OrderSagaV2Context;

export function orderView(args: { context: OrderViewContext; value: unknown; version: number; machineVersion: number; updatedAt: string }): OrderView {
  const { context } = args;
  const state = stateName(args.value);
  return {
    orderId: context.order.orderId,
    customerId: context.order.customerId,
    status: statusOf(state),
    state,
    failureReason: context.failureReason,
    total: context.order.total,
    currency: context.order.currency,
    items: context.order.items,
    steps: context.steps,
    attempts: context.attempts,
    // Nothing but leaving the parked state moves a parked saga (an operator, or a late success, which clears it):
    // the fact that parked it is its latest.
    attention: context.attention
      ? { reason: context.attention.reason, since: args.updatedAt, attempts: context.attention.attempts, lastError: context.attention.lastError }
      : null,
    version: args.version,
    machineVersion: args.machineVersion,
    placedAt: context.order.placedAt,
    updatedAt: args.updatedAt,
  };
}
