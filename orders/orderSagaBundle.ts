import { fraudParticipant, migrateFraudScores } from '../participants/fraud.ts';
import { inventoryParticipant } from '../participants/inventory.ts';
import { paymentParticipant } from '../participants/payment.ts';
import { migrateParticipants } from '../participants/schema.ts';
import { shippingParticipant } from '../participants/shipping.ts';
import type { SqlClient } from '../runtime/sqlClient.ts';
import { defineSaga } from '../sdk/defineSaga.ts';
import { fraudReviewRoutes } from './fraudReviewRoutes.ts';
import { orderSagaDefinition } from './orderSagaDefinition.ts';
import { orderSagaMigration } from './orderSagaMigration.ts';
import { orderSagaV2Definition } from './orderSagaV2Definition.ts';
import { orderViewSpec } from './orderViewSpec.ts';
import { topicsFor } from './topics.ts';

/**
 * The order saga and the payment, inventory, shipping and fraud participants it drives. v1 stays
 * registered for the orders that started on it; new orders start on v2, the fraud review. Orders
 * waiting past their payment may be moved to v2 (`orderSagaMigration`).
 */
export const orderSagaBundle = defineSaga({
  id: 'orderSaga',
  setup({ topics }) {
    const orderTopics = topicsFor(topics.prefix);
    return {
      versions: [orderSagaDefinition(orderTopics), orderSagaV2Definition(orderTopics)],
      view: orderViewSpec,
      participants: [
        paymentParticipant(orderTopics.paymentCommands),
        inventoryParticipant(orderTopics.inventoryCommands),
        shippingParticipant(orderTopics.shippingCommands),
        fraudParticipant(orderTopics.fraudCommands),
      ],
      async migrate(sql: SqlClient) {
        await migrateParticipants(sql);
        await migrateFraudScores(sql);
      },
      routes: fraudReviewRoutes,
      migrations: [orderSagaMigration],
    };
  },
});
