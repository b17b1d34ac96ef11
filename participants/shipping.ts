import type { OrderSagaCommand } from '../machines/orderTypes.ts';
import { storeOutcome, type ParticipantSpec, type Performed } from './participant.ts';

/** A country code no carrier delivers to. */
export const UNDELIVERABLE_COUNTRY = 'ZZ';

type CreateShipment = Extract<OrderSagaCommand, { type: 'CreateShipment' }>['data'];

/** The shipping service: one shipment per order, refused for addresses no carrier serves. */
export function shippingParticipant(commandTopic: string): ParticipantSpec {
  return {
    name: 'shipping',
    commandTopic,
    outcomeTable: 'shipping_shipments',
    transientFailure: () => ({ type: 'ShipmentFailed', data: { reason: 'CARRIER_UNAVAILABLE', retryable: true } }),
    async perform(tx, command): Promise<Performed> {
      if (command.type !== 'CreateShipment') throw new Error(`shipping cannot handle ${command.type}`);
      const { orderId, address } = command.data as CreateShipment;
      const row = { order_id: orderId, operation: command.type };
      if (address.country === UNDELIVERABLE_COUNTRY) {
        return storeOutcome(tx, 'shipping_shipments', { ...row, shipment_id: null }, { type: 'ShipmentFailed', data: { reason: 'UNDELIVERABLE', retryable: false } });
      }
      const shipmentId = `shp-${orderId}`;
      return storeOutcome(tx, 'shipping_shipments', { ...row, shipment_id: shipmentId }, { type: 'ShipmentCreated', data: { shipmentId } });
    },
  };
}
