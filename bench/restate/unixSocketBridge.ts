import { rm } from 'node:fs/promises';
import net from 'node:net';

export type UnixSocketBridge = Readonly<{ path: string; close(): Promise<void> }>;

/**
 * Listens on a Unix socket and pipes every connection to `host:port`: how a process in a
 * loopback-only network namespace reaches one server of the host (the file system is shared).
 */
export async function bridgeUnixSocket(path: string, target: Readonly<{ host: string; port: number }>): Promise<UnixSocketBridge> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Either side failing ends both: the client sees a closed connection and retries.
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return {
    path,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}
