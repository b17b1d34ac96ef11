import type { z } from 'zod';

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
