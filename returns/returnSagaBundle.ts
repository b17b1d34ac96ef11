import { defineSaga } from 'xsaga';
import { returnDemo } from './returnDemo.ts';
import { returnEnv } from './returnEnv.ts';
import { returnParticipantCommands } from './returnParticipants.ts';
import { returnRouter } from './returnRoutes.ts';
import { returnSagaDefinition } from './returnSagaDefinition.ts';
import { returnViewSpec } from './returnViewSpec.ts';
import { migrateReturns } from './schema.ts';

/**
 * Returns of completed orders: an operator's approval above a threshold, a label and a parcel
 * that may take 14 days, the refund and the restock in parallel. It brings no participant of its
 * own: it adds commands to the order saga's payment, inventory and shipping participants.
 */
export const returnSagaBundle = defineSaga({
  id: 'returnSaga',
  setup({ topics, env }) {
    const settings = returnEnv(env);
    return {
      versions: [
        returnSagaDefinition({
          paymentCommands: topics.commandsOf('payment'),
          inventoryCommands: topics.commandsOf('inventory'),
          shippingCommands: topics.commandsOf('shipping'),
          returnEvents: topics.factsOf('return'),
        }),
      ],
      view: returnViewSpec,
      participantCommands: returnParticipantCommands,
      migrate: migrateReturns,
      routes: (saga) => returnRouter(saga, settings),
      demo: returnDemo,
    };
  },
});
