import { z } from 'zod';
import type { SagaViewSpec } from '../runtime/viewStore.ts';
import { orderIndexMappings } from './orderIndexMapping.ts';
import { checkWith, minorUnits, orderItem, text } from './orderSchemas.ts';
import type { OrderView } from './orderView.ts';

const version = z.number().int().positive();

/** An order's view as the projector accepts it from a fact: lenient on what it passes through, strict on what the index maps. */
const checkOrderView = checkWith(
  z.object({
    orderId: text,
    customerId: text,
    status: z.enum(['PENDING', 'COMPLETED', 'FAILED']),
    state: text,
    failureReason: z.string().nullable(),
    total: minorUnits,
    currency: text,
    items: z.array(orderItem),
    steps: z.array(z.object({ step: text, action: text })),
    attempts: z.record(z.string(), z.number().int().nonnegative()),
    version,
    machineVersion: version,
    placedAt: text,
    updatedAt: z.string(),
  }),
);

/** What the projection needs to know about an order's view: the `orders` index, searched by id, customer, state, failure and SKU. */
export const orderViewSpec: SagaViewSpec<OrderView> = {
  name: 'orders',
  check: checkOrderView,
  idOf: (view) => view.orderId,
  idField: 'orderId',
  mappings: orderIndexMappings,
  textFields: ['orderId', 'customerId', 'state', 'failureReason', 'items.sku'],
  newestField: 'placedAt',
};
