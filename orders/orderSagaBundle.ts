import { inventoryParticipant } from '../participants/inventory.ts';
import { paymentParticipant } from '../participants/payment.ts';
import { migrateParticipants } from '../participants/schema.ts';
import { shippingParticipant } from '../participants/shipping.ts';
import { defineSaga } from '../sdk/defineSaga.ts';
import { orderSagaDefinition } from './orderSagaDefinition.ts';
import { orderViewSpec } from './orderViewSpec.ts';
import { topicsFor } from './topics.ts';

/** The order saga and the payment, inventory and shipping participants it drives. */
export const orderSagaBundle = defineSaga({
  id: 'orderSaga',
  setup({ topics }) {
    const orderTopics = topicsFor(topics.prefix);
    return {
      versions: [orderSagaDefinition(orderTopics)],
      view: orderViewSpec,
      participants: [
        paymentParticipant(orderTopics.paymentCommands),
        inventoryParticipant(orderTopics.inventoryCommands),
        shippingParticipant(orderTopics.shippingCommands),
      ],
      migrate: migrateParticipants,
    };
  },
});
