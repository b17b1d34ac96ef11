import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { problemSchema } from './problemSchema.ts';

/** Who may call a route (README "Access"): anyone, a viewer key or above, an operator key. */
export type Access = 'open' | 'viewer' | 'operator';

/**
 * One operation of the HTTP API as the OpenAPI document shows it: the same zod schemas that its
 * router validates requests with, its answers, and who may call it. `path` is written the OpenAPI
 * way (`/orders/{id}`), from the root, also for routes mounted under a prefix. The 401 and 403
 * answers follow from `access`, and every operation also lists `default` (see `openApiDocument`).
 */
export type RouteContract = Omit<RouteConfig, 'operationId' | 'summary' | 'tags' | 'security'> &
  Readonly<{ operationId: string; summary: string; tag: string; access: Access }>;

const PROBLEM = 'application/problem+json';

/** `Retry-After` on a 503: the API's answer to "when may I try again", in seconds. */
export const retryAfterHeader = z.object({
  'Retry-After': z.string().regex(/^[0-9]+$/).meta({ description: 'Seconds to wait before trying again.' }),
});

/**
 * A JSON answer.
 *
 * @example
 * responses: { 200: json(orderViewSchema, 'The order.') }
 */
export const json = (schema: z.ZodType, description: string, headers?: z.ZodObject): ResponseConfig => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema } },
});

/**
 * Problem answers, by status, each with why it is given: a description, or a description and a
 * problem schema with members of its own. A 503 carries `Retry-After`.
 *
 * @example
 * responses: { 200: json(…), ...problems({ 400: 'A parameter is not valid.', 404: 'No such order.' }) }
 */
export function problems(answers: Readonly<Record<number, string | Readonly<{ description: string; schema: z.ZodType }>>>): Record<number, ResponseConfig> {
  return Object.fromEntries(
    Object.entries(answers).map(([status, answer]) => {
      const { description, schema } = typeof answer === 'string' ? { description: answer, schema: problemSchema } : answer;
      const headers = status === '503' ? { headers: retryAfterHeader } : {};
      return [status, { description, ...headers, content: { [PROBLEM]: { schema } } }];
    }),
  );
}
