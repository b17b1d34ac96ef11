import { z } from 'zod';

const fieldError = z
  .strictObject({
    field: z.string().meta({ description: 'The field at fault as a client writes it: `items[0].quantity`, `shippingAddress.country`, `limit`, `Idempotency-Key`; `""` for the body itself.' }),
    detail: z.string(),
  })
  .meta({ id: 'FieldError' });

const problemShape = {
  type: z.string().meta({ description: '`about:blank`, or `urn:xsaga:problem:<code>` (`validation`, `not-found`, `concurrency`, `idempotency-key-reused`, …).' }),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  instance: z.string().optional().meta({ description: 'The request target, as sent.' }),
  errors: z.array(fieldError).max(20).optional().meta({ description: 'On a 400 (and a 422): each field at fault, the first 20.' }),
};

/** RFC 7807 problem details, as every error of the API is answered (`application/problem+json`). */
export const problemSchema = z.strictObject(problemShape).meta({ id: 'Problem' });

/**
 * A problem with members of its own (RFC 7807 §3.2): the readiness checks of a 503 from `/readyz`,
 * the version and state of a saga that refused an operator's action.
 *
 * @example
 * const readinessProblem = problemWith('ReadinessProblem', { checks: readinessChecks });
 */
export const problemWith = (id: string, members: z.core.$ZodLooseShape) => z.strictObject({ ...problemShape, ...members }).meta({ id });
