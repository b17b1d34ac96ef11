import { spawn } from 'node:child_process';
import { once } from 'node:events';

export type RoleProcess = Readonly<{ name: string; pid: number; url?: string; stop(): Promise<void> }>;

/** Starts `xsaga <role>` as a process of its own and resolves when it says it is ready. */
export async function startRole(role: string, env: Record<string, string>, name = role): Promise<RoleProcess> {
  // XSAGA_BENCH_CPU_PROFILE=<dir>: each role writes a V8 CPU profile there when it stops (`node bench/profileSummary.ts <dir>/*.cpuprofile`).
  const profileDir = process.env.XSAGA_BENCH_CPU_PROFILE;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profiling, 'app/main.ts', role], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (output.includes('xsaga ready')) {
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
  return { name, pid: child.pid!, url: output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1], stop };
}
