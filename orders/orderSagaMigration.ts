import { fraudSettingDefaults } from '../machines/orderSagaV2.ts';
import type { OrderSagaV2Context } from '../machines/orderSagaV2Types.ts';
import type { OrderSagaContext } from '../machines/orderTypes.ts';
import type { SagaMigration, StateMigration } from '../runtime/sagaMigration.ts';

/**
 * v2's context for an order that has passed its payment: the fraud review sits right after the
 * capture, so a migrated order is never reviewed. Its fraud settings are there because v2's context
 * has them, and are never read: no state after the payment leads back into the review.
 */
export const passedFraudReview = (context: OrderSagaContext): OrderSagaV2Context => ({
  ...context,
  settings: { ...fraudSettingDefaults, ...context.settings },
  attempts: { ...context.attempts, score: 0 },
  retryFrom: { ...context.retryFrom, score: 0 },
  fraud: null,
});

/** v2 keeps v1's states after the payment as they are: each maps to itself. */
const sameStates = (...states: string[]): Record<string, StateMigration> =>
  Object.fromEntries(states.map((state) => [state, { to: state, context: passedFraudReview }]));

/**
 * Order saga v1 → v2, for the orders that wait long: a compensation parked for a human, a step
 * backing off. Every state where a v1 order can wait after its capture moves to the same state of
 * v2, which has them all unchanged.
 *
 * The payment's states (`payment.capturing`, `payment.backingOff`) are not mapped, and such orders
 * are refused: a migration arms the new state's timers from the moment it moves, which would give
 * the payment a fresh deadline, a promise made to the customer when the order was placed. Those
 * orders end within that deadline on v1, which the deploy gate keeps registered while they run.
 */
export const orderSagaMigration: SagaMigration = {
  machineId: 'orderSaga',
  from: 1,
  to: 2,
  states: sameStates(
    'inventory.reserving',
    'inventory.backingOff',
    'shipping.creating',
    'shipping.backingOff',
    'compensating.releasingStock.releasing',
    'compensating.releasingStock.backingOff',
    'compensating.releasingStock.parked',
    'compensating.refundingPayment.refunding',
    'compensating.refundingPayment.backingOff',
    'compensating.refundingPayment.parked',
  ),
};
