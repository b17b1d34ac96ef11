import * as restate from '@restatedev/restate-sdk';
import type { FailureReason, Order, StepRecord } from '../../machines/orderTypes.ts';
import type { InventoryService, PaymentService, ShippingService } from './participants.ts';

/** What the saga is started with; the deadline is fixed per saga, as xsaga stores its settings with the saga. */
export type OrderSagaRequest = Readonly<{ order: Order; settings: Readonly<{ paymentTimeoutMs: number }> }>;

/** The saga's terminal state: `completed`, or `failed` once every completed step was undone. */
export type OrderSagaOutcome = Readonly<{
  orderId: string;
  status: 'completed' | 'failed';
  failureReason: FailureReason | null;
  steps: readonly StepRecord[];
}>;

/** What the saga does once it reached its outcome, before it returns it (e.g. index the order's document). */
export type SagaEnding = (ctx: restate.WorkflowContext, request: OrderSagaRequest, outcome: OrderSagaOutcome) => Promise<void>;

/**
 * The order saga as a Restate workflow keyed by order id: payment → inventory → shipping, each a
 * durable call to a participant service. A refusal comes back as a reply; a step whose retries ran
 * out comes back as a terminal error. Either way the completed steps are undone in reverse order.
 * `ending` runs once the outcome is known, before the workflow returns it.
 */
export function orderSagaWorkflow(ending?: SagaEnding) {
  const run = async (ctx: restate.WorkflowContext, request: OrderSagaRequest): Promise<OrderSagaOutcome> => {
    const outcome = await sagaOutcome(ctx, request);
    if (ending) await ending(ctx, request, outcome);
    return outcome;
  };
  return restate.workflow({ name: 'orderSaga', handlers: { run } });
}

/** The in-memory variant's saga: it ends with its outcome and writes nothing. */
export const orderSaga = orderSagaWorkflow();

async function sagaOutcome(ctx: restate.WorkflowContext, { order, settings }: OrderSagaRequest): Promise<OrderSagaOutcome> {
  // Only the services' types are known here: the saga does not depend on how a participant is built.
  const payment = ctx.serviceClient<PaymentService>({ name: 'payment' });
  const inventory = ctx.serviceClient<InventoryService>({ name: 'inventory' });
  const shipping = ctx.serviceClient<ShippingService>({ name: 'shipping' });
  const { orderId, total: amount, currency, items } = order;
  const steps: StepRecord[] = [];
  const undo: (() => Promise<void>)[] = [];

  const fail = async (reason: FailureReason): Promise<OrderSagaOutcome> => {
    for (const compensate of undo.reverse()) await compensate();
    return { orderId, status: 'failed', failureReason: reason, steps };
  };
  const refund = async () => {
    await payment.refund({ orderId, amount, currency });
    steps.push({ step: 'payment', action: 'refund' });
  };

  // The deadline is a durable timer racing the call, so it covers every retry of the capture.
  const capture = payment.capture({ orderId, amount, currency, paymentToken: order.paymentToken });
  try {
    const captured = await capture.orTimeout(settings.paymentTimeoutMs);
    if (captured.type === 'PaymentFailed') return await fail(captured.data.reason);
  } catch (error) {
    if (error instanceof restate.TimeoutError) {
      // The outcome is unknown: stop waiting for the provider, and void whatever it may still capture.
      ctx.invocation(await capture.invocationId).cancel();
      undo.push(refund);
      return await fail('PAYMENT_TIMEOUT');
    }
    if (error instanceof restate.TerminalError) return await fail('PAYMENT_UNAVAILABLE');
    throw error;
  }
  steps.push({ step: 'payment', action: 'capture' });
  undo.push(refund);

  const reservation = await stepReply(inventory.reserve({ orderId, items }));
  if (reservation === undefined) return await fail('INVENTORY_UNAVAILABLE');
  if (reservation.type === 'StockReservationFailed') return await fail(reservation.data.reason);
  steps.push({ step: 'inventory', action: 'reserve' });
  undo.push(async () => {
    await inventory.release({ orderId, items });
    steps.push({ step: 'inventory', action: 'release' });
  });

  const shipment = await stepReply(shipping.create({ orderId, address: order.shippingAddress, items }));
  if (shipment === undefined) return await fail('SHIPPING_UNAVAILABLE');
  if (shipment.type === 'ShipmentFailed') return await fail(shipment.data.reason);
  steps.push({ step: 'shipping', action: 'ship' });
  return { orderId, status: 'completed', failureReason: null, steps };
}

/** A step's reply, or `undefined` when its retries ran out (the call was killed and failed terminally). */
async function stepReply<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof restate.TerminalError) return undefined;
    throw error;
  }
}
