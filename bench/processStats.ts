import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces, start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Peak resident memory of a process in MiB (VmHWM). */
export function peakRssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kib / 1024) * 10) / 10;
}

/** Which shared server a process belongs to, by its command line; undefined for every other process. */
function serverOf(cmdline: string): string | undefined {
  if (/(^|\/)postgres(\0|:|$)/.test(cmdline) || cmdline.startsWith('postgres: ')) return 'postgres';
  if (cmdline.includes('kafka.Kafka')) return 'kafka';
  if (cmdline.includes('java') && cmdline.includes('elasticsearch')) return 'elasticsearch';
  if (cmdline.startsWith('redis-server')) return 'redis';
  return undefined;
}

/** CPU seconds used so far by every process of each server (PostgreSQL counts all its backends). */
function serverCpuSeconds(): Map<number, { server: string; seconds: number }> {
  const found = new Map<number, { server: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const server = serverOf(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
      if (server) found.set(Number(entry), { server, seconds: cpuSecondsOf(Number(entry)) });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

export type CpuUsage = Readonly<{ cpuSecondsPer1000: Record<string, number>; serverCpuSecondsPer1000?: Record<string, number>; peakRssMiB: Record<string, number> }>;

const per1000 = (seconds: number, sagas: number) => Math.round((seconds / sagas) * 1000 * 1000) / 1000;

/**
 * Samples CPU of named processes, and of the shared servers (PostgreSQL, Kafka, Elasticsearch,
 * Redis) they talk to, over a measured window (`servers`: all four, some by name, or none). A
 * server process born inside the window counts from zero; one that ended inside it is not counted.
 */
export function cpuWindow(pids: Readonly<Record<string, number>>, { servers = true }: { servers?: boolean | readonly string[] } = {}): { end(sagas: number): CpuUsage } {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  // Only the servers the system under test uses: another one's background work is none of its cost.
  const counted = (server: string) => servers === true || (Array.isArray(servers) && servers.includes(server));
  const serversAtStart = servers ? serverCpuSeconds() : new Map<number, { server: string; seconds: number }>();
  return {
    end(sagas) {
      const cpuSecondsPer1000: Record<string, number> = {};
      const peakRssMiB: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) {
        cpuSecondsPer1000[name] = per1000(cpuSecondsOf(pid) - start[name]!, sagas);
        peakRssMiB[name] = peakRssMiBOf(pid);
      }
      if (!servers) return { cpuSecondsPer1000, peakRssMiB };
      const serverSeconds: Record<string, number> = {};
      for (const [pid, { server, seconds }] of serverCpuSeconds()) {
        if (!counted(server)) continue;
        serverSeconds[server] = (serverSeconds[server] ?? 0) + seconds - (serversAtStart.get(pid)?.seconds ?? 0);
      }
      const serverCpuSecondsPer1000 = Object.fromEntries(Object.entries(serverSeconds).map(([server, seconds]) => [server, per1000(seconds, sagas)]));
      return { cpuSecondsPer1000, serverCpuSecondsPer1000, peakRssMiB };
    },
  };
}
