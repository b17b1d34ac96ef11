import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export type RoleName = 'api' | 'worker' | 'participants' | 'projector' | 'relay';

/** A role process that exited while nobody meant it to: a fault must cost time, never a process. */
export type UnexpectedExit = Readonly<{ member: string; at: number; code: number | null; signal: string | null; lastLines: string }>;

export type Member = Readonly<{
  name: string;
  role: RoleName;
  pid(): number | undefined;
  /** What the process printed since it last started. */
  outputSinceStart(): string;
}>;

export type RoleFleet = Readonly<{
  start(role: RoleName, name: string, env?: Record<string, string>): Promise<Member>;
  members(role?: RoleName): Member[];
  /** SIGKILL, then a start again after `restartAfterMs`; resolves once it is ready again. */
  killAndRestart(name: string, restartAfterMs: number): Promise<void>;
  /** SIGSTOP for `forMs`, then SIGCONT. */
  pause(name: string, forMs: number): Promise<void>;
  unexpectedExits(): readonly UnexpectedExit[];
  stopAll(): Promise<void>;
}>;

const READY = /xsaga ready/;
const TAIL_CHARS = 200_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Slot = {
  name: string;
  role: RoleName;
  env: Record<string, string>;
  child?: ChildProcess;
  output: string;
  /** Set while the fleet itself ends the process, so its exit is not counted as unexpected. */
  ending: boolean;
  log: WriteStream;
};

/**
 * The xsaga role processes of a chaos run (`node app/main.ts <role>`), each with its output in a log
 * file of its own. A process that exits on its own is counted and started again, so that the run
 * goes on and the report can name it.
 */
export function createRoleFleet(options: { env: Record<string, string>; logDir: string; log: (line: string) => void; readyTimeoutMs?: number }): RoleFleet {
  const slots = new Map<string, Slot>();
  const unexpected: UnexpectedExit[] = [];
  let stopping = false;

  async function launch(slot: Slot): Promise<void> {
    slot.output = '';
    slot.ending = false;
    const child = spawn(process.execPath, ['app/main.ts', slot.role], { env: { ...process.env, ...options.env, ...slot.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    slot.child = child;
    slot.log.write(`\n=== ${new Date().toISOString()} start (pid ${child.pid})\n`);
    const onData = (chunk: Buffer) => {
      slot.log.write(chunk);
      slot.output = (slot.output + chunk.toString()).slice(-TAIL_CHARS);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      slot.log.write(`=== ${new Date().toISOString()} exit (code ${code}, signal ${signal})\n`);
      if (slot.ending || stopping || slot.child !== child) return;
      const lastLines = slot.output.split('\n').slice(-15).join('\n');
      unexpected.push({ member: slot.name, at: Date.now(), code, signal, lastLines });
      options.log(`${slot.name} exited unexpectedly (code ${code}, signal ${signal}); starting it again`);
      void sleep(1000).then(() => (stopping ? undefined : launch(slot).catch((error: unknown) => options.log(`${slot.name} could not start again: ${(error as Error).message}`))));
    });
    const timeoutMs = options.readyTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    while (!READY.test(slot.output)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${slot.name} exited before it was ready:\n${slot.output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${slot.name} not ready after ${timeoutMs} ms:\n${slot.output.slice(-2000)}`);
      await sleep(100);
    }
  }

  async function end(slot: Slot, signal: NodeJS.Signals): Promise<void> {
    const child = slot.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    slot.ending = true;
    const exited = once(child, 'exit');
    child.kill('SIGCONT');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  const member = (slot: Slot): Member => ({
    name: slot.name,
    role: slot.role,
    pid: () => slot.child?.pid,
    outputSinceStart: () => slot.output,
  });

  const slotOf = (name: string): Slot => {
    const slot = slots.get(name);
    if (!slot) throw new Error(`no role process named ${name}`);
    return slot;
  };

  return {
    async start(role, name, env = {}) {
      if (slots.has(name)) throw new Error(`${name} already started`);
      const slot: Slot = { name, role, env, output: '', ending: false, log: createWriteStream(join(options.logDir, `${name}.log`), { flags: 'a' }) };
      slots.set(name, slot);
      await launch(slot);
      return member(slot);
    },
    members: (role) => [...slots.values()].filter((slot) => role === undefined || slot.role === role).map(member),
    async killAndRestart(name, restartAfterMs) {
      const slot = slotOf(name);
      await end(slot, 'SIGKILL');
      await sleep(restartAfterMs);
      if (!stopping) await launch(slot);
    },
    async pause(name, forMs) {
      const child = slotOf(name).child;
      if (!child?.pid) return;
      child.kill('SIGSTOP');
      try {
        await sleep(forMs);
      } finally {
        child.kill('SIGCONT');
      }
    },
    unexpectedExits: () => unexpected,
    async stopAll() {
      stopping = true;
      await Promise.all([...slots.values()].map((slot) => end(slot, 'SIGTERM')));
      await Promise.all([...slots.values()].map((slot) => new Promise<void>((resolve) => slot.log.end(resolve))));
    },
  };
}
