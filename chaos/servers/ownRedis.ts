import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { freePort } from './freePort.ts';
import type { OwnServer } from './ownServer.ts';

/** Sends one inline command and resolves to the first line of the answer, or rejects when nobody listens. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`no answer to ${command} on port ${port}`)));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) {
        socket.end();
        resolve(answer.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    // SHUTDOWN closes the connection without an answer.
    socket.on('close', () => resolve(answer));
  });
}

/**
 * A Redis of a test's or chaos run's own, in memory only (no RDB, no AOF): a restart loses every
 * key, which is what a fault test wants to see the system survive.
 *
 * @example
 * const redis = await startOwnRedis();
 * await redis.stop({ hard: true }); // SIGKILL
 * await redis.start();              // empty again
 * await redis.dispose();
 */
export async function startOwnRedis(options: { port?: number } = {}): Promise<OwnServer> {
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let output = '';

  const server: OwnServer = {
    kind: 'redis',
    address: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    async start() {
      if (child) return;
      output = '';
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
        // Its own process group: a signal to the test's group does not reach it, and it is stopped by its pid.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.once('exit', () => {
        if (child === started) child = undefined;
      });
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (child !== started) throw new Error(`redis-server on port ${port} exited at start:\n${output}`);
        if ((await ask(port, 'PING').catch(() => '')) === '+PONG') return;
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} not ready after 30 s:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop(stopOptions = {}) {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, 'exit');
      if (stopOptions.hard) running.kill('SIGKILL');
      else await ask(port, 'SHUTDOWN NOSAVE').catch(() => running.kill('SIGTERM'));
      await exited;
    },
    dispose: () => server.stop({ hard: true }),
  };

  await server.start();
  return server;
}
