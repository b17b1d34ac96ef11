import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { SideEffectsTarget } from './endpoint.ts';
import { createLoopbackNamespace, type LoopbackNamespace } from './loopbackNamespace.ts';

/** Addresses inside the namespace: its loopback is its own, so the default ports never collide with the host's. */
export const RESTATE_ADDRESSES = {
  ingress: 'http://127.0.0.1:8080',
  admin: 'http://127.0.0.1:9070',
  endpoint: 'http://127.0.0.1:9080',
} as const;

export type RestateOptions = Readonly<{
  /** `--default-num-partitions`; the server's own default (24) when absent. */
  partitions?: number;
  /** Attempts of a forward step before the saga gives up on it, as xsaga's `maxAttempts`. */
  maxAttempts?: number;
  /** Epoch milliseconds by which the server must be up and the deployment registered. */
  readyBy: number;
  /** Participants that write xsaga's rows and an ending that indexes the order; in-memory participants when absent. */
  sideEffects?: SideEffectsTarget;
}>;

/** restate-server and the SDK endpoint, running and registered inside a loopback-only namespace. */
export type RestateDeployment = Readonly<{
  namespace: LoopbackNamespace;
  pids: Readonly<{ 'restate-server': number; 'sdk-endpoint': number }>;
  /** Stops both processes by pid, deletes the namespace and the data folder. Safe to call twice. */
  stop(): Promise<void>;
}>;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** The binary that `@restatedev/restate-server` ships for this platform, run directly so its pid is the server's own. */
function restateServerBinary(): string {
  return createRequire(import.meta.url).resolve(`@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`);
}

/** The environment of every process in the namespace: no analytics from the packages, quiet SDK logs. */
export function benchEnv(): NodeJS.ProcessEnv {
  return { ...process.env, SCARF_ANALYTICS: 'false', RESTATE_LOGGING: 'WARN' };
}

/**
 * Starts restate-server (default durability: it fsyncs its log) and the SDK endpoint in a fresh
 * loopback-only namespace, with data in a temporary folder, and registers the endpoint. restate-server
 * looks for a newer release at every start and cannot be told not to: the namespace keeps that inside.
 */
export async function startRestate(options: RestateOptions): Promise<RestateDeployment> {
  if (options.partitions !== undefined && !(Number.isInteger(options.partitions) && options.partitions >= 1 && options.partitions <= 65_535)) {
    throw new RangeError(`partitions must be a whole number from 1 to 65535, not ${options.partitions}`);
  }
  const namespace = await createLoopbackNamespace();
  const dataDir = await mkdtemp(join(tmpdir(), 'xsaga-restate-')).catch(async (error: unknown) => {
    await namespace.remove();
    throw error;
  });
  const children: ChildProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await Promise.all(children.map((child) => stopProcess(child)));
      await namespace.remove();
      await rm(dataDir, { recursive: true, force: true });
    })());

  try {
    const configFile = join(dataDir, 'restate.toml');
    // Telemetry off; everything else at its defaults (fsync of the log included).
    await writeFile(configFile, 'disable-telemetry = true\n');
    const server = spawnLogged(namespace, restateServerBinary(), [
      '--config-file', configFile,
      '--base-dir', join(dataDir, 'data'),
      '--bind-ip', '127.0.0.1',
      '--listen-mode', 'tcp',
      '--node-name', 'xsaga-bench',
      '--no-logo',
      ...(options.partitions === undefined ? [] : ['--default-num-partitions', String(options.partitions)]),
    ], join(dataDir, 'server.log'));
    children.push(server);
    const endpoint = spawnLogged(namespace, process.execPath, [
      here('./endpoint.ts'),
      '--port', new URL(RESTATE_ADDRESSES.endpoint).port,
      '--max-attempts', String(options.maxAttempts ?? 5),
      ...(options.sideEffects === undefined ? [] : ['--side-effects', JSON.stringify(options.sideEffects)]),
    ], join(dataDir, 'endpoint.log'));
    children.push(endpoint);

    const register = spawnLogged(namespace, process.execPath, [
      here('./registerDeployment.ts'),
      '--admin', RESTATE_ADDRESSES.admin,
      '--ingress', RESTATE_ADDRESSES.ingress,
      '--endpoint', RESTATE_ADDRESSES.endpoint,
      '--ready-by', String(options.readyBy),
    ], join(dataDir, 'register.log'));
    children.push(register);
    // Either process ending before the deployment is registered is a failed start.
    const died = new Promise<never>((_, reject) => {
      server.once('exit', (code, signal) => reject(new Error(`restate-server ended with ${signal ?? `exit code ${code}`}`)));
      endpoint.once('exit', (code, signal) => reject(new Error(`the sdk endpoint ended with ${signal ?? `exit code ${code}`}`)));
    });
    died.catch(() => undefined);
    await Promise.race([exitOk(register, 'registration'), died]).catch(async (error: unknown) => {
      throw new Error(`Restate did not start: ${String(error)}\n${await logTails(dataDir)}`, { cause: error });
    });
    return { namespace, pids: { 'restate-server': server.pid!, 'sdk-endpoint': endpoint.pid! }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function spawnLogged(namespace: LoopbackNamespace, command: string, args: readonly string[], logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    const child = namespace.spawn(command, args, { stdio: ['ignore', log, log], env: benchEnv() });
    // A failed spawn shows as a missing pid; its 'error' event must not go unheard and crash the run.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child;
  } finally {
    closeSync(log);
  }
}

/** Resolves when the process exits with 0, rejects on any other end. */
async function exitOk(child: ChildProcess, name: string): Promise<void> {
  const [code, signal] = child.exitCode !== null || child.signalCode !== null ? [child.exitCode, child.signalCode] : await once(child, 'exit');
  if (code !== 0) throw new Error(`${name} ended with ${signal ?? `exit code ${code}`}`);
}

async function logTails(dataDir: string): Promise<string> {
  const tails = await Promise.all(
    ['register.log', 'endpoint.log', 'server.log'].map(async (file) => {
      const text = await readFile(join(dataDir, file), 'utf8').catch(() => '');
      return `--- ${file}\n${text.split('\n').slice(-15).join('\n')}`;
    }),
  );
  return tails.join('\n');
}

/**
 * Ends one process that this module started, by its pid: SIGTERM, then SIGKILL if it has not exited
 * within `graceMs`.
 */
async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
