import { z } from 'zod';

/** The header that makes a start command safe to retry: every route that starts a saga takes it. */
export const idempotencyKeyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, { error: 'must be 1-200 printable ASCII characters' })
    .optional()
    .meta({ description: 'Makes retries return the same saga; the same key with another body is a 422.' }),
});
