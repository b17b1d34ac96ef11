import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './freePort.ts';
import type { OwnServer } from './ownServer.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KAFKA_SH = join(REPO_ROOT, 'scripts/infra/kafka.sh');

export type OwnKafkaOptions = Readonly<{
  /** Client port on 127.0.0.1; a free one by default. */
  port?: number;
  /** KRaft controller port on 127.0.0.1; a free one by default. */
  controllerPort?: number;
  /** Work dir (data, logs, pid); a new one under the repository's `.infra/own/` by default. */
  dir?: string;
}>;


/**
 * Starts a single-node Kafka of its own with `scripts/infra/kafka.sh` (the jars shared with the
 * machine's broker, everything else in its own dir) and resolves once it serves metadata.
 *
 * @example
 * const kafka = await startOwnKafka();
 * await kafka.stop({ hard: true }); // a crash
 * await kafka.start();              // same data, same port
 * await kafka.dispose();
 */
export async function startOwnKafka(options: OwnKafkaOptions = {}): Promise<OwnServer> {
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const dir = options.dir ?? join(REPO_ROOT, '.infra/own', `kafka-${port}-${randomBytes(3).toString('hex')}`);
  const env = { ...process.env, XSAGA_KAFKA_WORK: dir, XSAGA_KAFKA_PORT: String(port), XSAGA_KAFKA_CONTROLLER_PORT: String(controllerPort) };

  const kafkaSh = (command: 'up' | 'down' | 'kill') =>
    new Promise<void>((resolve, reject) => {
      execFile(KAFKA_SH, [command], { env, timeout: 180_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`kafka.sh ${command} (${dir}) failed: ${error.message}\n${stderr}`)) : resolve(),
      );
    });

  const server: OwnServer = {
    kind: 'kafka',
    address: `127.0.0.1:${port}`,
    pid() {
      const pidFile = join(dir, 'kafka.pid');
      if (!existsSync(pidFile)) return undefined;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 0) return undefined;
      try {
        process.kill(pid, 0);
        return pid;
      } catch {
        return undefined;
      }
    },
    start: () => kafkaSh('up'),
    stop: (stopOptions = {}) => kafkaSh(stopOptions.hard ? 'kill' : 'down'),
    async dispose() {
      // A paused broker would sit out its clean shutdown: a disposed one has nothing left worth flushing.
      await kafkaSh('kill');
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
