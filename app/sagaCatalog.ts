import { orderSagaDefinition } from '../orders/orderSagaDefinition.ts';
import { topicsFor, type Topics } from '../orders/topics.ts';
import { inventoryParticipant } from '../participants/inventory.ts';
import type { ParticipantSpec } from '../participants/participant.ts';
import { paymentParticipant } from '../participants/payment.ts';
import { shippingParticipant } from '../participants/shipping.ts';
import { MachineRegistry } from '../runtime/sagaDefinition.ts';

/** The sagas xsaga hosts and the participants that serve them: what the checks and replays look at. */
export type SagaCatalog = Readonly<{ registry: MachineRegistry; participants: readonly ParticipantSpec[] }>;

/** The machines and participants of the order system, as `startSystem` wires them. */
export function sagaCatalog(topics: Topics = topicsFor()): SagaCatalog {
  return {
    registry: new MachineRegistry().register(orderSagaDefinition(topics)),
    participants: [paymentParticipant(topics.paymentCommands), inventoryParticipant(topics.inventoryCommands), shippingParticipant(topics.shippingCommands)],
  };
}
