import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './freePort.ts';
import type { OwnServer } from './ownServer.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/infra/elasticsearch.sh', import.meta.url));
const run = promisify(execFile);


/** Alive, and not a zombie waiting for its parent to reap it. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return !/^State:\s+Z/m.test(status);
}

/**
 * An Elasticsearch node of its own, started by `scripts/infra/elasticsearch.sh` with its own
 * directory and ports: the jars are those of the shared node, nothing else is.
 *
 * @example
 * const es = await startOwnElasticsearch();
 * await es.stop({ hard: true }); // the read model is gone, the shared node at 9200 is not
 * await es.start();
 * await es.dispose();
 */
export async function startOwnElasticsearch(options: { port?: number; dir?: string } = {}): Promise<OwnServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'xsaga-es-')));
  const port = options.port ?? (await freePort());
  const transportPort = await freePort();
  const env = {
    ...process.env,
    XSAGA_ES_WORK: dir,
    XSAGA_ES_PORT: String(port),
    XSAGA_ES_TRANSPORT_PORT: String(transportPort),
    XSAGA_ES_HEAP: process.env.XSAGA_ES_HEAP ?? '512m',
  };
  const script = async (command: 'up' | 'down') => {
    try {
      await run(SCRIPT, [command], { env, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`elasticsearch.sh ${command} (${dir}) failed: ${stderr?.trim() || (error as Error).message}`, { cause: error });
    }
  };
  let lastPid: number | undefined;
  const readPid = async (): Promise<number | undefined> => {
    const text = await readFile(join(dir, 'elasticsearch.pid'), 'utf8').catch(() => '');
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };

  const server: OwnServer = {
    kind: 'elasticsearch',
    address: `http://127.0.0.1:${port}`,
    pid: () => lastPid,
    async start() {
      await script('up');
      lastPid = await readPid();
    },
    async stop({ hard = false } = {}) {
      const pid = lastPid ?? (await readPid());
      if (!hard) {
        await script('down');
      } else if (pid !== undefined && (await isRunning(pid))) {
        process.kill(pid, 'SIGKILL');
        // The port is free only once the JVM is gone.
        while (await isRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      lastPid = undefined;
    },
    async dispose() {
      // Its data is deleted next: no clean shutdown is worth waiting for.
      await server.stop({ hard: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return server;
}
