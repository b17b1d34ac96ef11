import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChaosOptions } from './chaosRun.ts';
import { parseFaultKinds } from './faultSchedule.ts';

export const CHAOS_USAGE = `usage: npm run chaos -- [options]

  --duration S     seconds of load (default 300; --short: 75)
  --rate N         orders per second, open loop (default 25; --short: 10)
  --faults LIST    all, or a comma-separated list of fault kinds (default all)
  --repeats N      times each fault kind is injected (default 2; --short: 1)
  --failure-rate R transient participant failures, 0..1 (default 0.05)
  --short          the test line's version: every fault kind once in about 75 s
  --keep           keep the servers' data and logs in the work directory
  --work-dir DIR   default .infra/own/chaos-<time>`;

function number(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got "${text}"`);
  return n;
}

/** The chaos run's options from the command line; `--short` sets the test line's defaults. */
export function chaosOptionsFrom(args: readonly string[], log: (line: string) => void): ChaosOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      faults: { type: 'string', default: 'all' },
      repeats: { type: 'string' },
      'failure-rate': { type: 'string' },
      short: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'work-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(CHAOS_USAGE);
    process.exit(0);
  }
  const short = values.short;
  const failureRate = number('failure-rate', values['failure-rate'], 0.05, 0);
  if (failureRate > 1) throw new Error('--failure-rate must be at most 1');
  return {
    durationMs: number('duration', values.duration, short ? 75 : 300, 10) * 1000,
    ratePerSecond: number('rate', values.rate, short ? 10 : 25, 0.1),
    faults: parseFaultKinds(values.faults),
    repeats: number('repeats', values.repeats, short ? 1 : 2, 1),
    elasticsearchOutageMs: short ? 10_000 : 30_000,
    pauseMs: 15_000,
    restartAfterMs: 3000,
    drainTimeoutMs: 240_000,
    failureRate,
    paymentTimeoutMs: 30_000,
    workDir: values['work-dir'] ?? join('.infra', 'own', `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    keep: values.keep,
    log,
  };
}

