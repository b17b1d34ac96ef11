import { ORDER_SAGA_VERSION, orderSaga, type OrderSagaMachine } from '../machines/orderSaga.ts';
import type { OrderSagaInput } from '../machines/orderTypes.ts';
import type { Message } from '../runtime/message.ts';
import type { SagaDefinition } from '../runtime/sagaDefinition.ts';
import { orderSagaEvents } from './orderEvents.ts';
import { orderView, type OrderView } from './orderView.ts';
import type { Topics } from './topics.ts';

export const ORDER_PLACED = 'OrderPlaced';

/** The first event of an order's stream; it carries everything the saga will ever need to know. */
export type OrderPlaced = Message<typeof ORDER_PLACED, OrderSagaInput>;

/** Hosts the order saga: commands go to the topic of their participant, views to `order-events`. */
export function orderSagaDefinition(topics: Topics): SagaDefinition<OrderSagaMachine, OrderView> {
  return {
    machine: orderSaga,
    version: ORDER_SAGA_VERSION,
    startEvent: ORDER_PLACED,
    input: (start) => start.data as OrderSagaInput,
    events: orderSagaEvents,
    topicOf(command) {
      switch (command.type) {
        case 'CapturePayment':
        case 'RefundPayment':
          return topics.paymentCommands;
        case 'ReserveStock':
        case 'ReleaseStock':
          return topics.inventoryCommands;
        case 'CreateShipment':
          return topics.shippingCommands;
        default:
          throw new Error(`order saga emitted an unknown command ${command.type}`);
      }
    },
    view: ({ snapshot, version, updatedAt }) => orderView({ context: snapshot.context, value: snapshot.value, version, machineVersion: ORDER_SAGA_VERSION, updatedAt }),
    factsTopic: topics.orderEvents,
    operatorActions: { retry: 'RetryRequested', resume: 'ResumeRequested', cancel: 'CancelRequested' },
    outcome: ({ value, context }) => (value === 'failed' ? { failed: true, reason: context.failureReason ?? 'UNKNOWN' } : { failed: false, reason: '' }),
  };
}
