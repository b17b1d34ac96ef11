import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** Samples CPU of named processes over a measured window. */
export function cpuWindow(pids: Readonly<Record<string, number>>): { end(sagas: number): { cpuSecondsPer1000: Record<string, number>; peakRssMiB: Record<string, number> } } {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  return {
    end(sagas) {
      const cpuSecondsPer1000: Record<string, number> = {};
      const peakRssMiB: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) {
        cpuSecondsPer1000[name] = Math.round(((cpuSecondsOf(pid) - start[name]!) / sagas) * 1000 * 1000) / 1000;
        peakRssMiB[name] = peakRssMiBOf(pid);
      }
      return { cpuSecondsPer1000, peakRssMiB };
    },
  };
}
