import { z } from 'zod';
import type { OrderSagaCommand } from '../machines/orderTypes.ts';
import { attempt, checkWith, minorUnits, orderItem, shippingAddress, text } from '../orders/orderSchemas.ts';

const items = z.array(orderItem).min(1);

/** The shape of each command the order saga sends its participants (machines/orderTypes.ts). */
export const commandChecks = {
  CapturePayment: checkWith(z.object({ orderId: text, amount: minorUnits, currency: text, paymentToken: text, attempt })),
  RefundPayment: checkWith(z.object({ orderId: text, amount: minorUnits, currency: text, attempt })),
  ReserveStock: checkWith(z.object({ orderId: text, items, attempt })),
  ReleaseStock: checkWith(z.object({ orderId: text, items, attempt })),
  CreateShipment: checkWith(z.object({ orderId: text, address: shippingAddress, items, attempt })),
} satisfies Record<OrderSagaCommand['type'], (data: unknown) => string | undefined>;
