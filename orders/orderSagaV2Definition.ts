import { ORDER_SAGA_V2_VERSION, orderSagaV2, type OrderSagaV2Machine } from '../machines/orderSagaV2.ts';
import type { OrderSagaV2Input } from '../machines/orderSagaV2Types.ts';
import type { SagaDefinition } from '../runtime/sagaDefinition.ts';
import { orderSagaV2Events } from './orderEvents.ts';
import { ORDER_PLACED, orderSagaDefinition } from './orderSagaDefinition.ts';
import { orderView, type OrderView } from './orderView.ts';
import type { Topics } from './topics.ts';

/** The operator's decisions on a doubtful order: sent as signals, like any decision a person makes. */
export const FRAUD_REVIEW_DECISIONS = ['FraudReviewApproved', 'FraudReviewRejected'] as const;

/**
 * Hosts order saga v2, the fraud review's version: v1's topics, view and operator actions, plus the
 * fraud scorer's topic. The operator's decision on a doubtful order (`FraudReviewApproved`,
 * `FraudReviewRejected`) is a signal, like any decision, and not one of the retry/resume/cancel actions.
 */
export function orderSagaV2Definition(topics: Topics): SagaDefinition<OrderSagaV2Machine, OrderView> {
  const v1 = orderSagaDefinition(topics);
  return {
    machine: orderSagaV2,
    version: ORDER_SAGA_V2_VERSION,
    startEvent: ORDER_PLACED,
    input: (start) => start.data as OrderSagaV2Input,
    events: orderSagaV2Events,
    topicOf: (command) => (command.type === 'ScoreFraud' ? topics.fraudCommands : v1.topicOf(command)),
    view: ({ snapshot, version, updatedAt }) =>
      orderView({ context: snapshot.context, value: snapshot.value, version, machineVersion: ORDER_SAGA_V2_VERSION, updatedAt }),
    factsTopic: topics.orderEvents,
    operatorActions: v1.operatorActions,
    outcome: ({ value, context }) => (value === 'failed' ? { failed: true, reason: context.failureReason ?? 'UNKNOWN' } : { failed: false, reason: '' }),
  };
}
