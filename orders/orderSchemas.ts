import { z } from 'zod';

export { checkWith } from '../runtime/checkWith.ts';

/** The parts of an order that events, commands and views share (machines/orderTypes.ts). Extra fields are let through. */
export const text = z.string().min(1);
export const minorUnits = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const orderItem = z.object({ sku: text, quantity: z.number().int().positive(), unitPrice: minorUnits });
export const shippingAddress = z.object({ name: text, line1: text, line2: z.string().optional(), city: text, postalCode: text, country: text });
export const attempt = z.number().int().positive();
