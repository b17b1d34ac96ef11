import type { ParticipantSpec } from '../participants/participant.ts';
import { mergeParticipantCommands } from '../participants/participantCommands.ts';
import { XsagaError } from '../runtime/errors.ts';
import { checkLimitedSagasHosted, MACHINE_VERSIONS_SETTING, parseMachineVersionLimits, partsUpTo } from './machineVersionLimits.ts';
import { MachineRegistry } from '../runtime/sagaDefinition.ts';
import type { SagaMigration } from '../runtime/sagaMigration.ts';
import { systemTopics, type SystemTopics } from '../runtime/systemTopics.ts';
import type { SagaBundle, SagaParts } from '../sdk/defineSaga.ts';
import { SAGAS } from './sagas.ts';

/** One hosted saga: its bundle's id and the parts it built for this system. */
export type HostedSaga = Readonly<{ id: string; parts: SagaParts }>;

/** The sagas xsaga hosts and the participants that serve them: what the system, the checks and the replays loop over. */
export type SagaCatalog = Readonly<{
  topics: SystemTopics;
  sagas: readonly HostedSaga[];
  registry: MachineRegistry;
  participants: readonly ParticipantSpec[];
  /** Every hosted saga's migrations between its versions (`xsaga migrate`). */
  migrations: readonly SagaMigration[];
}>;

export type CatalogOptions = Readonly<{
  /** The system's topic prefix (`XSAGA_TOPIC_PREFIX`). */
  prefix?: string;
  sagas?: readonly SagaBundle[];
  env?: Readonly<Record<string, string | undefined>>;
}>;

/**
 * Sets up every saga of the list for one system: its machines registered (up to the versions
 * `XSAGA_MACHINE_VERSIONS` names, if it does), its participants gathered.
 */
export function sagaCatalog(options: CatalogOptions = {}): SagaCatalog {
  const topics = systemTopics(options.prefix);
  const env = options.env ?? process.env;
  const limits = parseMachineVersionLimits(env[MACHINE_VERSIONS_SETTING]);
  const registry = new MachineRegistry();
  const sagas: HostedSaga[] = [];
  const participants = new Map<string, ParticipantSpec>();
  for (const bundle of options.sagas ?? SAGAS) {
    if (sagas.some((saga) => saga.id === bundle.id)) throw new XsagaError('CONFIG', `The saga ${bundle.id} is listed twice`);
    const parts = partsUpTo(bundle.id, bundle.setup({ topics, env }), limits.get(bundle.id));
    for (const definition of parts.versions) registry.register(definition);
    for (const spec of parts.participants ?? []) {
      if (participants.has(spec.name)) throw new XsagaError('CONFIG', `Two sagas bring a participant named ${spec.name}`);
      participants.set(spec.name, spec);
    }
    sagas.push({ id: bundle.id, parts });
  }
  checkLimitedSagasHosted(limits, sagas.map((saga) => saga.id));
  // Commands a saga adds to another's participant join that participant's one consumer.
  for (const saga of sagas) {
    for (const extra of saga.parts.participantCommands ?? []) {
      const base = participants.get(extra.participant);
      if (!base) throw new XsagaError('CONFIG', `${saga.id} adds commands to a participant named ${extra.participant}, which no saga brings`);
      participants.set(base.name, mergeParticipantCommands(base, [extra]));
    }
  }
  const migrations = sagas.flatMap((saga) => saga.parts.migrations ?? []);
  return { topics, sagas, registry, participants: [...participants.values()], migrations };
}
