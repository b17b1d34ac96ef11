import { connect } from 'node:net';

/**
 * One HTTP/1.1 request written byte for byte. `fetch` and `node:http` refuse or repair what a
 * hostile client sends (control characters in headers, raw non-ASCII in the target, duplicate
 * headers, a missing Host), so tests that throw such requests at the server write them themselves.
 */
export type RawRequest = Readonly<{
  method: string;
  /** The request target as sent: not normalised, not encoded. */
  target: string;
  /** Name and value, in order; repeat a name to send it twice. */
  headers: readonly (readonly [string, string])[];
  body?: Buffer | string;
  /** Leave out the Host header (it is sent by default). */
  noHost?: boolean;
}>;

export type RawResponse = Readonly<{
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}>;

function decodeChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('truncated chunked body');
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function parseResponse(raw: Buffer): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`no complete response head in ${raw.length} bytes: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = raw.subarray(headEnd + 4);
  const body = /\bchunked\b/i.test(headers['transfer-encoding'] ?? '') ? decodeChunked(rest) : rest;
  return { status: Number(match[1]), headers, body };
}

/**
 * Sends `request` on a fresh connection (`Connection: close`) and resolves to the answer, or
 * rejects when none arrives within `timeoutMs`: a hang is a failure, not a slow test.
 *
 * @example
 * const res = await sendRaw(url, { method: 'GET', target: '/orders/%00', headers: [] }, 10_000);
 */
export function sendRaw(baseUrl: string, request: RawRequest, timeoutMs: number): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : (request.body ?? Buffer.alloc(0));
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    ...(request.noHost ? [] : [`Host: ${hostname}:${port}`]),
    'Connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ...(body.length > 0 || request.method === 'POST' ? [`Content-Length: ${body.length}`] : []),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${request.method} ${request.target.slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      // A server that answers before it read the whole body may reset the connection after its answer.
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch {
        reject(error);
      }
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    });
    // Header text goes out as UTF-8: a non-ASCII value reaches the server as the bytes a client would send.
    // Written, not ended: Node's server drops a request whose client half-closed before it answered.
    socket.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), body]));
  });
}
