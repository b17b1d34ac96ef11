import { createActor, type AnyActorRef, type AnyMachineSnapshot, type EventObject, type InspectionEvent, type Observer } from 'xstate';
import type { SagaDefinition } from '../runtime/sagaDefinition.ts';

/** A saga on show: the actor that stands for it in inspection events, and how far its stream is folded. */
export type ShownSaga = { definition: SagaDefinition; actor: AnyActorRef; snapshot: AnyMachineSnapshot; version: number };

/**
 * Shows folded sagas to the inspector the way a live actor shows itself: registered once, then
 * each event it got with the snapshot it led to. The actor only gives the events the saga's id,
 * machine and session: it is never started, so nothing of the machine runs; the fold moves the saga.
 */
export function showFoldedSagas(inspect: Observer<InspectionEvent>) {
  const report = (saga: ShownSaga, event: EventObject) => {
    const common = { actorRef: saga.actor, rootId: saga.actor.sessionId };
    inspect.next?.({ ...common, type: '@xstate.event', sourceRef: undefined, event });
    inspect.next?.({ ...common, type: '@xstate.snapshot', snapshot: saga.snapshot, event });
  };
  return {
    /** `event` is how the saga began (`xstate.init`), `snapshot` where it is. */
    start(definition: SagaDefinition, streamId: string, snapshot: AnyMachineSnapshot, event: EventObject, version: number): ShownSaga {
      const actor = createActor(definition.machine, { id: streamId, snapshot: definition.machine.getPersistedSnapshot(snapshot) });
      const saga = { definition, actor, snapshot, version };
      inspect.next?.({ type: '@xstate.actor', actorRef: actor, rootId: actor.sessionId });
      report(saga, event);
      return saga;
    },
    move(saga: ShownSaga, event: EventObject, snapshot: AnyMachineSnapshot, version: number): void {
      saga.snapshot = snapshot;
      saga.version = version;
      report(saga, event);
    },
  };
}
