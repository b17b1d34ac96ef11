import { assign, emit, setup } from 'xstate';
import type {
  Attempts,
  FailureReason,
  OrderSagaCommand,
  OrderSagaContext,
  OrderSagaEvent,
  OrderSagaInput,
  StepAction,
  StepRecord,
} from './orderTypes.ts';

/** Bump when the statechart changes in a way old streams must not be replayed through. */
export const ORDER_SAGA_VERSION = 1;

const noAttempts: Attempts = { capture: 0, reserve: 0, ship: 0, release: 0, refund: 0 };

/**
 * The order saga: payment → inventory → shipping, and on failure the compensations of the
 * completed steps in reverse order. Pure: every effect is a command emitted as data, every
 * implementation is named so the chart opens in Stately as it is.
 */
export const orderSaga = setup({
  types: {
    context: {} as OrderSagaContext,
    events: {} as OrderSagaEvent,
    input: {} as OrderSagaInput,
    emitted: {} as OrderSagaCommand,
  },
  actions: {
    countAttempt: assign(({ context }, params: { action: StepAction }) => ({
      attempts: { ...context.attempts, [params.action]: context.attempts[params.action] + 1 },
    })),
    recordStep: assign(({ context }, params: StepRecord) => ({ steps: [...context.steps, params] })),
    failWith: assign((_, params: { reason: FailureReason }) => ({ failureReason: params.reason })),
    /** A final refusal carries its own reason; a transient failure that ran out of attempts means the step is unavailable. */
    failFromReply: assign(({ event }, params: { whenExhausted: FailureReason }) => {
      const failure = 'reason' in event.data ? event.data : { reason: params.whenExhausted, retryable: true };
      return { failureReason: (failure.retryable ? params.whenExhausted : failure.reason) as FailureReason };
    }),
    capturePayment: emit(({ context }) => ({
      type: 'CapturePayment' as const,
      data: {
        orderId: context.order.orderId,
        amount: context.order.total,
        currency: context.order.currency,
        paymentToken: context.order.paymentToken,
        attempt: context.attempts.capture,
      },
    })),
    refundPayment: emit(({ context }) => ({
      type: 'RefundPayment' as const,
      data: { orderId: context.order.orderId, amount: context.order.total, currency: context.order.currency, attempt: context.attempts.refund },
    })),
    reserveStock: emit(({ context }) => ({
      type: 'ReserveStock' as const,
      data: { orderId: context.order.orderId, items: context.order.items, attempt: context.attempts.reserve },
    })),
    releaseStock: emit(({ context }) => ({
      type: 'ReleaseStock' as const,
      data: { orderId: context.order.orderId, items: context.order.items, attempt: context.attempts.release },
    })),
    createShipment: emit(({ context }) => ({
      type: 'CreateShipment' as const,
      data: {
        orderId: context.order.orderId,
        address: context.order.shippingAddress,
        items: context.order.items,
        attempt: context.attempts.ship,
      },
    })),
  },
  guards: {
    canRetry: ({ context, event }, params: { action: StepAction }) =>
      'retryable' in event.data && event.data.retryable && context.attempts[params.action] < context.settings.maxAttempts,
  },
  delays: {
    paymentTimeout: ({ context }) => context.settings.paymentTimeoutMs,
  },
}).createMachine({
  id: 'orderSaga',
  context: ({ input }) => ({ order: input.order, settings: input.settings, attempts: noAttempts, steps: [], failureReason: null }),
  initial: 'payment',
  states: {
    payment: {
      description: 'Capture the payment; the deadline covers every attempt.',
      initial: 'capturing',
      after: {
        paymentTimeout: {
          target: '#orderSaga.compensating.refundingPayment',
          actions: { type: 'failWith', params: { reason: 'PAYMENT_TIMEOUT' } },
        },
      },
      states: {
        capturing: {
          entry: [{ type: 'countAttempt', params: { action: 'capture' } }, 'capturePayment'],
          on: {
            PaymentFailed: { guard: { type: 'canRetry', params: { action: 'capture' } }, target: 'capturing', reenter: true },
          },
        },
      },
      on: {
        PaymentCaptured: { target: 'inventory', actions: { type: 'recordStep', params: { step: 'payment', action: 'capture' } } },
        PaymentFailed: { target: 'failed', actions: { type: 'failFromReply', params: { whenExhausted: 'PAYMENT_UNAVAILABLE' } } },
      },
    },
    inventory: {
      description: 'Reserve the stock of every item.',
      entry: [{ type: 'countAttempt', params: { action: 'reserve' } }, 'reserveStock'],
      on: {
        StockReserved: { target: 'shipping', actions: { type: 'recordStep', params: { step: 'inventory', action: 'reserve' } } },
        StockReservationFailed: [
          { guard: { type: 'canRetry', params: { action: 'reserve' } }, target: 'inventory', reenter: true },
          {
            target: '#orderSaga.compensating.refundingPayment',
            actions: { type: 'failFromReply', params: { whenExhausted: 'INVENTORY_UNAVAILABLE' } },
          },
        ],
      },
    },
    shipping: {
      description: 'Create the shipment.',
      entry: [{ type: 'countAttempt', params: { action: 'ship' } }, 'createShipment'],
      on: {
        ShipmentCreated: { target: 'completed', actions: { type: 'recordStep', params: { step: 'shipping', action: 'ship' } } },
        ShipmentFailed: [
          { guard: { type: 'canRetry', params: { action: 'ship' } }, target: 'shipping', reenter: true },
          {
            target: '#orderSaga.compensating.releasingStock',
            actions: { type: 'failFromReply', params: { whenExhausted: 'SHIPPING_UNAVAILABLE' } },
          },
        ],
      },
    },
    compensating: {
      description: 'Undo the completed steps in reverse order. A compensation is retried until it succeeds: it is never dropped.',
      initial: 'releasingStock',
      states: {
        releasingStock: {
          entry: [{ type: 'countAttempt', params: { action: 'release' } }, 'releaseStock'],
          on: {
            StockReleased: { target: 'refundingPayment', actions: { type: 'recordStep', params: { step: 'inventory', action: 'release' } } },
            StockReleaseFailed: { target: 'releasingStock', reenter: true },
          },
        },
        refundingPayment: {
          description: 'Refund a capture, or void a payment whose outcome is unknown after the deadline.',
          entry: [{ type: 'countAttempt', params: { action: 'refund' } }, 'refundPayment'],
          on: {
            PaymentRefunded: { target: '#orderSaga.failed', actions: { type: 'recordStep', params: { step: 'payment', action: 'refund' } } },
            PaymentRefundFailed: { target: 'refundingPayment', reenter: true },
          },
        },
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type OrderSagaMachine = typeof orderSaga;
