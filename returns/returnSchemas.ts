import { z } from 'zod';

/** The parts of a return that events, commands and views share (returnTypes.ts). Extra fields are let through. */
export const text = z.string().min(1);
export const minorUnits = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const returnItem = z.object({ sku: text, quantity: z.number().int().positive(), unitPrice: minorUnits });
export const returnItems = z.array(returnItem).min(1);
export const attempt = z.number().int().positive();
