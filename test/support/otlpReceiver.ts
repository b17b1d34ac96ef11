import { createServer } from 'node:http';
import { fromOtlpJson, type OtlpTraceRequest, type TraceSpan } from './traceSpans.ts';

export type OtlpReceiver = Readonly<{
  /** The base endpoint to give the exporters (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  endpoint: string;
  spans(): readonly TraceSpan[];
  /** Content types of the requests received, for the test to see what the exporter sends. */
  contentTypes(): ReadonlySet<string>;
  close(): Promise<void>;
}>;

/**
 * A trace collector reduced to what the tests need: `POST /v1/traces` with the JSON encoding of
 * OTLP over HTTP (what `@opentelemetry/exporter-trace-otlp-http` sends), on 127.0.0.1.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: TraceSpan[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.add(req.headers['content-type'] ?? '');
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      try {
        received.push(...fromOtlpJson(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraceRequest));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => received,
    contentTypes: () => contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
