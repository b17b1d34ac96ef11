import { assign, emit, setup } from 'xstate';
import {
  belowParkLimit,
  canRetry,
  capturePaymentCommand,
  countedAttempt,
  createShipmentCommand,
  failureReasonOf,
  noAttempts,
  parkedAttention,
  plannedBackoff,
  refundPaymentCommand,
  releaseStockCommand,
  reserveStockCommand,
  restartedBackoff,
  settingDefaults,
} from './orderSteps.ts';
import type { FailureReason, OrderSagaCommand, OrderSagaContext, OrderSagaEvent, OrderSagaInput, StepAction, StepRecord } from './orderTypes.ts';

/** Bump when the statechart changes in a way old streams must not be replayed through. */
export const ORDER_SAGA_VERSION = 1;

/**
 * The order saga: payment → inventory → shipping, and on failure the compensations of the
 * completed steps in reverse order. A failed attempt waits (`backingOff`, a durable timer with
 * jittered exponential backoff) before the next; a compensation that keeps failing parks for a
 * human, who may retry, resume or cancel. Pure: every effect is a command emitted as data, every
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
    countAttempt: assign(({ context }, params: { action: StepAction }) => countedAttempt(context, params.action)),
    planBackoff: assign(({ context }, params: { action: StepAction }) => plannedBackoff(context, params.action)),
    /** Leaving a parked state, by an operator or by a late success, ends the wait for a human. */
    clearAttention: assign({ attention: null }),
    startBackoffOver: assign(({ context }, params: { action: StepAction }) => restartedBackoff(context, params.action)),
    park: assign(({ context, event }, params: { action: StepAction }) => parkedAttention(context, event.data, params.action)),
    recordStep: assign(({ context }, params: StepRecord) => ({ steps: [...context.steps, params] })),
    failWith: assign((_, params: { reason: FailureReason }) => ({ failureReason: params.reason })),
    failFromReply: assign(({ event }, params: { whenExhausted: FailureReason }) => ({ failureReason: failureReasonOf(event.data, params.whenExhausted) })),
    capturePayment: emit(({ context }) => capturePaymentCommand(context)),
    refundPayment: emit(({ context }) => refundPaymentCommand(context)),
    reserveStock: emit(({ context }) => reserveStockCommand(context)),
    releaseStock: emit(({ context }) => releaseStockCommand(context)),
    createShipment: emit(({ context }) => createShipmentCommand(context)),
  },
  guards: {
    canRetry: ({ context, event }, params: { action: StepAction }) => canRetry(context, event.data, params.action),
    belowParkLimit: ({ context }, params: { action: StepAction }) => belowParkLimit(context, params.action),
  },
  delays: {
    paymentTimeout: ({ context }) => context.settings.paymentTimeoutMs,
    retryBackoff: ({ context }) => context.backoffMs,
  },
}).createMachine({
  id: 'orderSaga',
  context: ({ input }) => ({
    order: input.order,
    settings: { ...settingDefaults, ...input.settings },
    attempts: noAttempts,
    retryFrom: noAttempts,
    backoffMs: 0,
    steps: [],
    failureReason: null,
    attention: null,
  }),
  initial: 'payment',
  states: {
    payment: {
      description: 'Capture the payment; the deadline covers every attempt and every wait between them.',
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
            PaymentFailed: { guard: { type: 'canRetry', params: { action: 'capture' } }, target: 'backingOff' },
          },
        },
        backingOff: {
          entry: { type: 'planBackoff', params: { action: 'capture' } },
          after: { retryBackoff: 'capturing' },
          on: { RetryRequested: { target: 'capturing', actions: { type: 'startBackoffOver', params: { action: 'capture' } } } },
        },
      },
      on: {
        PaymentCaptured: { target: 'inventory', actions: { type: 'recordStep', params: { step: 'payment', action: 'capture' } } },
        PaymentFailed: { target: 'failed', actions: { type: 'failFromReply', params: { whenExhausted: 'PAYMENT_UNAVAILABLE' } } },
        // Like the deadline: the refund voids a capture still in flight.
        CancelRequested: { target: '#orderSaga.compensating.refundingPayment', actions: { type: 'failWith', params: { reason: 'CANCELLED' } } },
      },
    },
    inventory: {
      description: 'Reserve the stock of every item.',
      initial: 'reserving',
      states: {
        reserving: {
          entry: [{ type: 'countAttempt', params: { action: 'reserve' } }, 'reserveStock'],
          on: {
            StockReservationFailed: [
              { guard: { type: 'canRetry', params: { action: 'reserve' } }, target: 'backingOff' },
              {
                target: '#orderSaga.compensating.refundingPayment',
                actions: { type: 'failFromReply', params: { whenExhausted: 'INVENTORY_UNAVAILABLE' } },
              },
            ],
          },
        },
        backingOff: {
          entry: { type: 'planBackoff', params: { action: 'reserve' } },
          after: { retryBackoff: 'reserving' },
          on: { RetryRequested: { target: 'reserving', actions: { type: 'startBackoffOver', params: { action: 'reserve' } } } },
        },
      },
      on: {
        StockReserved: { target: 'shipping', actions: { type: 'recordStep', params: { step: 'inventory', action: 'reserve' } } },
        // The release voids a reservation still in flight, so a cancel is safe here.
        CancelRequested: { target: '#orderSaga.compensating.releasingStock', actions: { type: 'failWith', params: { reason: 'CANCELLED' } } },
      },
    },
    shipping: {
      description: 'Create the shipment.',
      initial: 'creating',
      states: {
        creating: {
          entry: [{ type: 'countAttempt', params: { action: 'ship' } }, 'createShipment'],
          on: {
            ShipmentFailed: [
              { guard: { type: 'canRetry', params: { action: 'ship' } }, target: 'backingOff' },
              {
                target: '#orderSaga.compensating.releasingStock',
                actions: { type: 'failFromReply', params: { whenExhausted: 'SHIPPING_UNAVAILABLE' } },
              },
            ],
          },
        },
        backingOff: {
          description: 'Every attempt so far failed, so nothing shipped: the one place of shipping where a cancel is safe.',
          entry: { type: 'planBackoff', params: { action: 'ship' } },
          after: { retryBackoff: 'creating' },
          on: {
            RetryRequested: { target: 'creating', actions: { type: 'startBackoffOver', params: { action: 'ship' } } },
            CancelRequested: { target: '#orderSaga.compensating.releasingStock', actions: { type: 'failWith', params: { reason: 'CANCELLED' } } },
          },
        },
      },
      on: {
        ShipmentCreated: { target: 'completed', actions: { type: 'recordStep', params: { step: 'shipping', action: 'ship' } } },
      },
    },
    compensating: {
      description: 'Undo the completed steps in reverse order. A compensation is retried with backoff until it succeeds, or parks for a human: it is never dropped.',
      initial: 'releasingStock',
      states: {
        releasingStock: {
          initial: 'releasing',
          states: {
            releasing: {
              entry: [{ type: 'countAttempt', params: { action: 'release' } }, 'releaseStock'],
              on: {
                StockReleaseFailed: [
                  { guard: { type: 'belowParkLimit', params: { action: 'release' } }, target: 'backingOff' },
                  { target: 'parked', actions: { type: 'park', params: { action: 'release' } } },
                ],
              },
            },
            backingOff: {
              entry: { type: 'planBackoff', params: { action: 'release' } },
              after: { retryBackoff: 'releasing' },
              on: { RetryRequested: { target: 'releasing', actions: { type: 'startBackoffOver', params: { action: 'release' } } } },
            },
            parked: {
              description: 'The release kept failing: an operator resumes it once its cause is fixed.',
              exit: 'clearAttention',
              on: { ResumeRequested: { target: 'releasing', actions: { type: 'startBackoffOver', params: { action: 'release' } } } },
            },
          },
          on: {
            StockReleased: { target: 'refundingPayment', actions: { type: 'recordStep', params: { step: 'inventory', action: 'release' } } },
          },
        },
        refundingPayment: {
          description: 'Refund a capture, or void a payment whose outcome is unknown after the deadline or a cancel.',
          initial: 'refunding',
          states: {
            refunding: {
              entry: [{ type: 'countAttempt', params: { action: 'refund' } }, 'refundPayment'],
              on: {
                PaymentRefundFailed: [
                  { guard: { type: 'belowParkLimit', params: { action: 'refund' } }, target: 'backingOff' },
                  { target: 'parked', actions: { type: 'park', params: { action: 'refund' } } },
                ],
              },
            },
            backingOff: {
              entry: { type: 'planBackoff', params: { action: 'refund' } },
              after: { retryBackoff: 'refunding' },
              on: { RetryRequested: { target: 'refunding', actions: { type: 'startBackoffOver', params: { action: 'refund' } } } },
            },
            parked: {
              description: 'The refund kept failing: an operator resumes it once its cause is fixed.',
              exit: 'clearAttention',
              on: { ResumeRequested: { target: 'refunding', actions: { type: 'startBackoffOver', params: { action: 'refund' } } } },
            },
          },
          on: {
            PaymentRefunded: { target: '#orderSaga.failed', actions: { type: 'recordStep', params: { step: 'payment', action: 'refund' } } },
          },
        },
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type OrderSagaMachine = typeof orderSaga;
