import { z } from 'zod';

/** `data.amount: …; data.items[0].sku: …`: every issue with its path, on one line. */
function problemsOf(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
      return `data${path}: ${issue.message}`;
    })
    .join('; ');
}

/** A schema as the runtime and the participants use one: what is wrong with `data`, or undefined. */
export const checkWith =
  (schema: z.ZodType) =>
  (data: unknown): string | undefined => {
    const result = schema.safeParse(data);
    return result.success ? undefined : problemsOf(result.error);
  };

/** The parts of an order that events, commands and views share (machines/orderTypes.ts). Extra fields are let through. */
export const text = z.string().min(1);
export const minorUnits = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const orderItem = z.object({ sku: text, quantity: z.number().int().positive(), unitPrice: minorUnits });
export const shippingAddress = z.object({ name: text, line1: text, line2: z.string().optional(), city: text, postalCode: text, country: text });
export const attempt = z.number().int().positive();
