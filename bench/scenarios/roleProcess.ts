import { spawn } from 'node:child_process';
import { once } from 'node:events';

export type BenchProcess = Readonly<{ name: string; pid: number; output(): string; stop(): Promise<void> }>;

export type RoleProcess = Readonly<{ name: string; pid: number; url?: string; stop(): Promise<void> }>;

/**
 * Starts a Node script of the benchmark's as a process of its own and resolves once its output
 * matches `ready`; fails (and stops it) if it exits first or is not ready in 90 s.
 */
export async function startBenchProcess(options: { name: string; script: string; args?: readonly string[]; env: Record<string, string | undefined>; ready: RegExp }): Promise<BenchProcess> {
  const { name } = options;
  // XSAGA_BENCH_CPU_PROFILE=<dir>: each process writes a V8 CPU profile there when it stops (`node bench/profileSummary.ts <dir>/*.cpuprofile`).
  const profileDir = process.env.XSAGA_BENCH_CPU_PROFILE;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profiling, options.script, ...(options.args ?? [])], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready in 90 s:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.ready.test(output)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  // Keep draining output so a chatty process never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  return { name, pid: child.pid!, output: () => output, stop };
}

/** Starts `xsaga <role>` as a process of its own and resolves when it says it is ready. */
export async function startRole(role: string, env: Record<string, string>, name = role): Promise<RoleProcess> {
  const started = await startBenchProcess({ name, script: 'app/main.ts', args: [role], env, ready: /xsaga ready/ });
  return { name, pid: started.pid, url: started.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1], stop: started.stop };
}
