import { XsagaError } from '../runtime/errors.ts';
import type { SagaParts } from '../sdk/defineSaga.ts';

/** Per saga id, the newest version of its machine this process registers. */
export type MachineVersionLimits = ReadonlyMap<string, number>;

export const MACHINE_VERSIONS_SETTING = 'XSAGA_MACHINE_VERSIONS';

const configError = (problem: string) => new XsagaError('CONFIG', `${MACHINE_VERSIONS_SETTING}: ${problem}`);

/**
 * Reads `XSAGA_MACHINE_VERSIONS` (`orderSaga:1,returnSaga:1`): the code before a deploy, run by
 * the code of the deploy, for a staged rollout or a rollback. Unset or empty: no limit.
 */
export function parseMachineVersionLimits(setting: string | undefined): MachineVersionLimits {
  const limits = new Map<string, number>();
  for (const entry of (setting ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9_-]*):([1-9][0-9]*)$/.exec(entry);
    if (!match) throw configError(`each entry is <saga id>:<version>, not "${entry}"`);
    const [, sagaId, version] = match as unknown as [string, string, string];
    if (limits.has(sagaId)) throw configError(`${sagaId} is named twice`);
    limits.set(sagaId, Number(version));
  }
  return limits;
}

/**
 * The saga's parts with the versions above `limit` left out, and the migrations that need them.
 * The limit must be a version the saga registers: a typo must not quietly start sagas on another.
 */
export function partsUpTo(sagaId: string, parts: SagaParts, limit: number | undefined): SagaParts {
  if (limit === undefined) return parts;
  const registered = parts.versions.map((definition) => definition.version).sort((a, b) => a - b);
  if (!registered.includes(limit)) throw configError(`${sagaId}:${limit} names a version ${sagaId} does not register (it registers ${registered.join(', ')})`);
  return {
    ...parts,
    versions: parts.versions.filter((definition) => definition.version <= limit),
    migrations: parts.migrations?.filter((migration) => migration.from <= limit && migration.to <= limit),
  };
}

/** Refuses a limit on a saga the system does not host. */
export function checkLimitedSagasHosted(limits: MachineVersionLimits, hosted: readonly string[]): void {
  const unknown = [...limits.keys()].filter((sagaId) => !hosted.includes(sagaId));
  if (unknown.length > 0) throw configError(`${unknown.join(', ')} is no saga of this system (it hosts ${hosted.join(', ')})`);
}
