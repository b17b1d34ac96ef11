import { machineFingerprint } from './machineFingerprint.ts';
import type { MachineRegistry } from './sagaDefinition.ts';
import type { SagaStore, StreamHead } from './sagaStore.ts';
import { formatDivergence, verifyStream, type ReplayDivergence } from './verifyReplay.ts';

/** The active streams of one machine version, and what the code about to be deployed makes of them. */
export type GateVersionCount = Readonly<{
  machineId: string;
  version: number;
  active: number;
  /** The version is registered in the code about to be deployed. */
  registered: boolean;
  /** The registered machine's fingerprint (absent when not registered). */
  fingerprint?: string;
  /** Active streams whose stored fingerprint differs from the registered one: same number, different machine. */
  fingerprintChanged: number;
  /** Active streams started before fingerprints were kept: only replay speaks for them. */
  unfingerprinted: number;
}>;

export type DeployGateReport = Readonly<{
  passed: boolean;
  activeStreams: number;
  versions: readonly GateVersionCount[];
  /** Why the deploy is refused, one line per cause. */
  refusals: readonly string[];
  /** Active streams that no longer replay through their pinned version (a removed version's streams included). */
  divergences: readonly ReplayDivergence[];
}>;

export type DeployGateOptions = Readonly<{ store: Pick<SagaStore, 'listStreams' | 'load' | 'readStream'>; registry: MachineRegistry; pageSize?: number }>;

const keyOf = (head: Pick<StreamHead, 'machineId' | 'machineVersion'>) => `${head.machineId}@${head.machineVersion}`;

/**
 * The deploy gate: with the machines of the code about to be deployed (`registry`), every active
 * stream is replayed through the version it is pinned to (as `verifyReplay` does), and its stored
 * fingerprint compared with the registered machine's. Refused when a version that active streams
 * use is gone, when one changed under the same number (fingerprint), or when a stream no longer
 * replays. Finished streams are not read: nothing moves them again.
 *
 * @example
 * const report = await deployGate({ store, registry });
 * if (!report.passed) process.exitCode = 1;
 */
export async function deployGate(options: DeployGateOptions): Promise<DeployGateReport> {
  const { store, registry } = options;
  const pageSize = options.pageSize ?? 500;
  const counts = new Map<string, { machineId: string; version: number; active: number; fingerprintChanged: number; unfingerprinted: number }>();
  const divergences: ReplayDivergence[] = [];
  let activeStreams = 0;
  const next = (after?: string) => store.listStreams({ afterStreamId: after, limit: pageSize, status: 'active' });
  for (let page = await next(); page.length > 0; page = await next(page.at(-1)!.streamId)) {
    for (const head of page) {
      activeStreams++;
      const key = keyOf(head);
      const count = counts.get(key) ?? { machineId: head.machineId, version: head.machineVersion, active: 0, fingerprintChanged: 0, unfingerprinted: 0 };
      counts.set(key, count);
      count.active++;
      const definition = registry.get(head.machineId, head.machineVersion);
      if (!definition) continue;
      if (head.machineFingerprint === undefined) count.unfingerprinted++;
      else if (head.machineFingerprint !== machineFingerprint(definition.machine)) count.fingerprintChanged++;
      const { divergence } = await verifyStream(store, registry, head);
      if (divergence) divergences.push(divergence);
    }
  }
  const versions = [...counts.values()]
    .sort((a, b) => (a.machineId === b.machineId ? a.version - b.version : a.machineId < b.machineId ? -1 : 1))
    .map((count): GateVersionCount => {
      const definition = registry.get(count.machineId, count.version);
      return { ...count, registered: definition !== undefined, ...(definition && { fingerprint: machineFingerprint(definition.machine) }) };
    });
  const refusals = [
    ...versions.filter((v) => !v.registered).map((v) => `${v.machineId}@${v.version} is not registered, and ${v.active} active stream(s) are pinned to it`),
    ...versions.filter((v) => v.fingerprintChanged > 0).map((v) => `${v.machineId}@${v.version} changed under the same version number: ${v.fingerprintChanged} active stream(s) started on another machine (register the change as a new version)`),
    ...(divergences.length > 0 ? [`${divergences.length} active stream(s) no longer replay through their pinned version`] : []),
  ];
  return { passed: refusals.length === 0, activeStreams, versions, refusals, divergences };
}

/** The gate's report for a person: counts per machine version, the streams that no longer replay (the first `shown`), the verdict. */
export function formatDeployGateReport(report: DeployGateReport, shown = 50): string {
  const lines = [`active streams: ${report.activeStreams}`];
  for (const v of report.versions) {
    const notes = !v.registered
      ? 'NOT REGISTERED'
      : [v.fingerprintChanged > 0 ? `${v.fingerprintChanged} with another fingerprint` : 'fingerprint matches', v.unfingerprinted > 0 ? `${v.unfingerprinted} without fingerprint` : ''].filter(Boolean).join(', ');
    lines.push(`  ${v.machineId}@${v.version}: ${v.active} active, ${notes}`);
  }
  const replayable = report.divergences.filter((d) => d.kind !== 'not-registered');
  for (const d of replayable.slice(0, shown)) lines.push(formatDivergence(d));
  if (replayable.length > shown) lines.push(`… and ${replayable.length - shown} more`);
  lines.push(report.passed ? 'deploy check PASSED' : ['deploy check REFUSED:', ...report.refusals.map((r) => `  - ${r}`)].join('\n'));
  return lines.join('\n');
}
