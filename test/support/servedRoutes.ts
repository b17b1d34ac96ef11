import type { Express } from 'express';

/** What Express keeps of a `use`, `get` or `post` (router 2.x): enough to list what an app serves. */
type Layer = Readonly<{
  name: string;
  rawPath?: string | readonly string[];
  route?: Readonly<{ path: string | readonly string[]; methods: Readonly<Record<string, boolean>> }>;
  handle: { stack?: readonly Layer[] };
}>;

const asList = (path: string | readonly string[] | undefined): readonly string[] => (path === undefined ? ['/'] : typeof path === 'string' ? [path] : path);
/** `/orders/:id` → `/orders/{id}`: the way OpenAPI writes a path. */
const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const joined = (prefix: string, path: string): string => (path === '/' ? prefix || '/' : `${prefix}${path}`);

/**
 * Every operation `app` serves, as `GET /orders/{id}`, read from its router stack: routes of
 * nested routers with their mount path, and a static folder mounted at `/ui` as the page `GET /ui/`
 * and its files `GET /ui/{file}`. Middleware that answers no route of its own is not listed.
 *
 * @example
 * servedOperations(createApi(deps)); // ['POST /orders', 'GET /orders', …]
 */
export function servedOperations(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: readonly Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of asList(layer.route.path)) {
          for (const [method, served] of Object.entries(layer.route.methods)) if (served && method !== '_all') found.add(`${method.toUpperCase()} ${openApiPath(joined(prefix, path))}`);
        }
      } else if (layer.name === 'serveStatic') {
        for (const path of asList(layer.rawPath)) {
          const folder = joined(prefix, path);
          found.add(`GET ${folder}/`).add(`GET ${folder}/{file}`);
        }
      } else if (layer.handle.stack) {
        for (const path of asList(layer.rawPath)) walk(layer.handle.stack, path === '/' ? prefix : `${prefix}${path}`);
      }
    }
  };
  walk((app.router as unknown as { stack: readonly Layer[] }).stack, '');
  return [...found].sort();
}
