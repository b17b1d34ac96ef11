import type { Logger } from '../runtime/logger.ts';
import { createServer, type Server } from 'node:http';
import type { MetricsExposition } from '../runtime/metricsExposition.ts';

export type MetricsServer = Readonly<{ url: string; close(): Promise<void> }>;

/**
 * A listener that serves only `GET /metrics`, for processes without the api role (and beside it):
 * no key, as scrapers expect, so it listens on loopback unless told otherwise (docs/decisions/0017).
 *
 * @example
 * const server = await startMetricsServer(exposition, { host: '127.0.0.1', port: 9464 });
 * console.log(`${server.url}/metrics`);
 */
export async function startMetricsServer(
  exposition: MetricsExposition,
  options: Readonly<{ host: string; port: number; logger?: Logger }>,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only /metrics is served here.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET /metrics\n');
      return;
    }
    exposition.render().then(
      (text) => res.writeHead(200, { 'content-type': exposition.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        options.logger?.warn({ err: error }, 'metrics: rendering failed');
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('The metrics could not be rendered.\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
