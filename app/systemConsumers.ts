import { PROJECTOR } from '../runtime/projector.ts';
import type { ConsumerGroups, Topics } from '../orders/topics.ts';
import { SAGA_WORKER } from '../runtime/sagaRuntime.ts';
import type { SagaCatalog } from './sagaCatalog.ts';

/** A consumer group of the system, the topic it reads, and its consumer's name as its dead letters and metrics give it. */
export type SystemConsumer = Readonly<{ consumer: string; group: string; topic: string }>;

/** Every consumer group of the system: the saga worker, the projector and each participant. */
export function systemConsumers(catalog: SagaCatalog, topics: Topics, groups: ConsumerGroups): readonly SystemConsumer[] {
  return [
    { consumer: SAGA_WORKER, group: groups.sagaWorker, topic: topics.sagaInbox },
    { consumer: PROJECTOR, group: groups.projector, topic: topics.orderEvents },
    ...catalog.participants.map((spec) => ({ consumer: spec.name, group: groups.participant(spec.name), topic: spec.commandTopic })),
  ];
}
