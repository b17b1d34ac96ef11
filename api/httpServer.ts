import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import { problemDocument } from './problem.ts';

/** Node's own statuses for what it cannot parse; anything else it refuses is a 400. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

type ClientError = Error & { code?: string; reason?: string };

const detailOf = (status: number, error: ClientError): string => {
  if (status === 431) return 'The request line and headers are larger than the server accepts.';
  if (status === 408) return 'The request did not arrive in time.';
  return `The request is not valid HTTP/1.1: ${error.reason ?? error.message}.`;
};

/**
 * Answers a request Node could not parse (a control character in a header, raw non-ASCII in the
 * target, a head over 16 kB) with a problem document, where Node writes a bare status line.
 */
function answerClientError(error: ClientError, socket: Socket): void {
  // Only a connection that has not answered yet can take a response; otherwise it is dropped, as Node does.
  if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
  const problem = problemDocument({ status, detail: detailOf(status, error) });
  const body = JSON.stringify(problem);
  const head = [
    `HTTP/1.1 ${status} ${problem.title}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * The API's HTTP server: every answer it gives, down to a request that is not HTTP, is problem+json.
 * Node's own check for a Host header is off because it answers with a bare 400; `createApi` checks.
 *
 * @example
 * createHttpServer(createApi(deps)).listen(3000, '127.0.0.1');
 */
export function createHttpServer(app: Express): Server {
  const server = createServer({ requireHostHeader: false }, app);
  server.on('clientError', answerClientError);
  // Node answers an Expect other than 100-continue itself, with a bare 417.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(problemDocument({ status: 417, detail: 'The server meets no expectation but 100-continue.', instance: req.url ?? '' }));
    res.writeHead(417, { 'Content-Type': 'application/problem+json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' }).end(body);
  });
  return server;
}
