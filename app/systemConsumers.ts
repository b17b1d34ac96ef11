import type { ConsumerGroups } from '../orders/topics.ts';
import { PROJECTOR } from '../runtime/projector.ts';
import { SAGA_WORKER } from '../runtime/sagaRuntime.ts';
import type { SagaCatalog } from './sagaCatalog.ts';

/** A consumer group of the system, a topic it reads, and its consumer's name as its dead letters and metrics give it. */
export type SystemConsumer = Readonly<{ consumer: string; group: string; topic: string }>;

/** The facts topics of every hosted saga: what the one projector reads. */
export const factsTopicsOf = (catalog: Pick<SagaCatalog, 'registry'>): string[] => [...new Set(catalog.registry.all().map((definition) => definition.factsTopic))];

/** Every consumer group of the system and each topic it reads: the saga worker, the projector (every saga's facts) and each participant. */
export function systemConsumers(catalog: SagaCatalog, groups: ConsumerGroups): readonly SystemConsumer[] {
  return [
    { consumer: SAGA_WORKER, group: groups.sagaWorker, topic: catalog.topics.sagaInbox },
    ...factsTopicsOf(catalog).map((topic) => ({ consumer: PROJECTOR, group: groups.projector, topic })),
    ...catalog.participants.map((spec) => ({ consumer: spec.name, group: groups.participant(spec.name), topic: spec.commandTopic })),
  ];
}
