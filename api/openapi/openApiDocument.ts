import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { problemSchema } from './problemSchema.ts';
import { problems, type Access, type RouteContract } from './routeContract.ts';

/** The name of the security scheme: an API key sent as a bearer token. */
const API_KEY = 'apiKey';

const ACCESS_ANSWERS: Record<Access, ReturnType<typeof problems>> = {
  open: {},
  viewer: problems({ 401: 'No API key, or one that is not configured.' }),
  operator: problems({ 401: 'No API key, or one that is not configured.', 403: 'A viewer key: acting needs an operator key.' }),
};
const wwwAuthenticate = z.object({ 'WWW-Authenticate': z.string().meta({ description: '`Bearer realm="xsaga"`, with `error="invalid_token"` when a key was sent and refused.' }) });

const TAGS = [
  { name: 'Orders', description: 'Placing and reading orders: the public API.' },
  { name: 'Admin', description: 'What an operator sees and does: sagas that need a human, retry, resume, cancel, dead letters.' },
  { name: 'Machines', description: 'The statecharts the runtime hosts and the sagas in them: the dashboard’s data.' },
  { name: 'Health', description: 'Liveness and readiness.' },
  { name: 'Dashboard', description: 'The built-in dashboard’s page.' },
  { name: 'Documentation', description: 'This document and its reference docs.' },
];

const DESCRIPTION = `The HTTP API of xsaga, an actor-model saga runtime. Generated from the zod schemas that validate each request.

Every error is RFC 7807 \`application/problem+json\`; a 400 names each field at fault in \`errors\` (the first 20). A request the HTTP server cannot take before any route sees it (no Host header, a head over 16 kB, an Expect it cannot meet, a body that is not JSON or in another charset than UTF-8) is answered as problem+json too, with 400, 408, 413, 415, 417 or 431: each operation's \`default\`.

Access: placing an order, reading one by its id, health, these docs and the dashboard's page are open. Searches, histories, statistics, machines and \`GET /admin/…\` need an API key of role \`viewer\`; acting under \`/admin\` one of role \`operator\`. The role is the one the \`security\` requirement names.`;

/**
 * The OpenAPI 3.1 document of `routes`: each route's parameters, body and answers from its zod
 * schemas, the 401 and 403 its access implies, and a `default` problem for what any route may answer.
 *
 * @example
 * const document = openApiDocument([...ordersRoutes, ...healthRoutes], { version: '0.1.0' });
 */
export function openApiDocument(routes: readonly RouteContract[], info: Readonly<{ version: string }>): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', API_KEY, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key, configured by its SHA-256 with a role (`viewer`, `operator`): README "Access".',
  });
  for (const { access, tag, responses, ...route } of routes) {
    const refused = Object.fromEntries(Object.entries(ACCESS_ANSWERS[access]).map(([status, answer]) => [status, status === '401' ? { ...answer, headers: wwwAuthenticate } : answer]));
    registry.registerPath({
      ...route,
      tags: [tag],
      security: access === 'open' ? [] : [{ [API_KEY]: [access] }],
      responses: {
        ...responses,
        ...refused,
        default: { description: 'Any other error, as problem+json: a 500, or a request refused before routing.', content: { 'application/problem+json': { schema: problemSchema } } },
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'xsaga', version: info.version, description: DESCRIPTION },
    tags: TAGS,
  });
}
