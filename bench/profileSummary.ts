import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Where a role's CPU went: self time of a V8 CPU profile (`--cpu-prof`, written by the bench's role
 * processes when `XSAGA_BENCH_CPU_PROFILE` names a directory), summed by owner (a package in
 * node_modules, a top-level folder of the project, node's internals, the VM) and by function.
 *
 *   node bench/profileSummary.ts [--top 25] [--skip-ms 0] <file.cpuprofile>...
 *
 * `--skip-ms` leaves out the profile's first milliseconds: a role's start-up (loading modules,
 * connecting) is in its profile too, and is no saga's cost.
 */

type ProfileNode = Readonly<{ id: number; callFrame: Readonly<{ functionName: string; url: string; lineNumber: number }>; children?: readonly number[] }>;
type CpuProfile = Readonly<{ nodes: readonly ProfileNode[]; samples: readonly number[]; timeDeltas: readonly number[]; startTime: number; endTime: number }>;

/** Who a frame belongs to: the package, the project's folder, or what runs outside any file. */
export function ownerOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(vm)';
  if (url.startsWith('node:')) return 'node internals';
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const folder = url.match(/\/(adapters|api|app|machines|orders|participants|returns|runtime|sdk)\//);
  return folder ? `xsaga ${folder[1]}/` : url;
}

/** Self time in milliseconds of every node, from the samples (after the first `skipMs`) and the time between them. */
export function selfTimes(profile: CpuProfile, skipMs = 0): Map<number, number> {
  const self = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]! / 1000;
    // A sample's time is the delta until the next sample; the last one has none.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    if (at < skipMs) continue;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + micros / 1000);
  }
  return self;
}

function top(totals: Map<string, number>, all: number, count: number): string[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${((100 * ms) / all).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
}

export function summarize(name: string, profile: CpuProfile, count: number, skipMs = 0): string {
  const self = selfTimes(profile, skipMs);
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  let all = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    all += ms;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += ms;
    const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
    const where = node.callFrame.url ? `${basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : '';
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where} [${owner}]`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  return [
    `${name}: ${busy.toFixed(0)} ms busy of ${all.toFixed(0)} ms sampled`,
    '  by owner (share of busy time):',
    ...top(byOwner, busy, count).map((line) => `    ${line}`),
    '  by function (self time):',
    ...top(byFunction, busy, count).map((line) => `    ${line}`),
  ].join('\n');
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, 'skip-ms': { type: 'string', default: '0' } } });
  const count = Number(values.top);
  const skipMs = Number(values['skip-ms']);
  if (positionals.length === 0 || !Number.isInteger(count) || count < 1 || !(skipMs >= 0)) {
    console.error('usage: node bench/profileSummary.ts [--top N] [--skip-ms MS] <file.cpuprofile>...');
    process.exit(2);
  }
  for (const file of positionals) console.log(summarize(basename(file), JSON.parse(await readFile(file, 'utf8')) as CpuProfile, count, skipMs), '\n');
}
