import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A network namespace that has only its own loopback: what runs inside can reach nothing but itself. */
export type LoopbackNamespace = Readonly<{
  name: string;
  /** Starts a command inside the namespace. `ip netns exec` execs the command, so the child's pid is the command's own. */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Deletes the namespace; the processes started in it must have exited first. */
  remove(): Promise<void>;
}>;

let created = 0;

/**
 * Creates `xsaga-bench-<pid>-<n>` with its loopback up. Needs root (CAP_SYS_ADMIN).
 *
 * @example
 * const ns = await createLoopbackNamespace();
 * try { ns.spawn('restate-server', ['--bind-ip', '127.0.0.1']); } finally { await ns.remove(); }
 */
export async function createLoopbackNamespace(): Promise<LoopbackNamespace> {
  const name = `xsaga-bench-${process.pid}-${created++}`;
  await run('ip', ['netns', 'add', name]);
  const remove = async () => {
    await run('ip', ['netns', 'delete', name]).catch(() => undefined);
  };
  try {
    await run('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    name,
    spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', name, command, ...args], options),
    remove,
  };
}
