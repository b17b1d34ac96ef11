import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export type RunningProcess = Readonly<{ child: ChildProcess; output: () => string; stop: (signal?: NodeJS.Signals) => Promise<number | null> }>;

/**
 * Starts `node <args>` with the project's pinned Node and resolves once a line of its output
 * matches `ready`; the match is returned. The process is killed if it is not ready in time.
 */
export async function startNodeProcess(
  args: readonly string[],
  options: { env: Record<string, string>; ready: RegExp; timeoutMs?: number },
): Promise<RunningProcess & { match: RegExpMatchArray }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    return child.exitCode;
  };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${options.timeoutMs ?? 60_000} ms:\n${output}`)), options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = output.match(options.ready);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop('SIGKILL');
    throw error;
  });
  return { child, match, output: () => output, stop };
}
