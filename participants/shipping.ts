import type { OrderSagaCommand } from '../machines/orderTypes.ts';
import { commandChecks } from './commandSchemas.ts';
import { final, type ParticipantSpec, type Performed } from './participant.ts';

/** A country code no carrier delivers to. */
export const UNDELIVERABLE_COUNTRY = 'ZZ';

type CreateShipment = Extract<OrderSagaCommand, { type: 'CreateShipment' }>['data'];

/** The shipping service: one shipment per order, refused for addresses no carrier serves. */
export function shippingParticipant(commandTopic: string): ParticipantSpec {
  return {
    name: 'shipping',
    commandTopic,
    handles: { CreateShipment: { done: ['ShipmentCreated'], failed: ['ShipmentFailed'], check: commandChecks.CreateShipment } },
    outcomeTable: 'shipping_shipments',
    outcomeColumns: { shipment_id: 'text' },
    transientFailure: () => ({ type: 'ShipmentFailed', data: { reason: 'CARRIER_UNAVAILABLE', retryable: true } }),
    async perform(_tx, commands): Promise<Performed[]> {
      return commands.map((command) => {
        if (command.type !== 'CreateShipment') throw new Error(`shipping cannot handle ${command.type}`);
        const { orderId, address } = command.data as CreateShipment;
        if (address.country === UNDELIVERABLE_COUNTRY) {
          return final({ type: 'ShipmentFailed', data: { reason: 'UNDELIVERABLE', retryable: false } }, { shipment_id: null });
        }
        const shipmentId = `shp-${orderId}`;
        return final({ type: 'ShipmentCreated', data: { shipmentId } }, { shipment_id: shipmentId });
      });
    },
  };
}
