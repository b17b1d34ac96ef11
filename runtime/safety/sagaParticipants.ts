import { emissionsOf } from './emittedCommands.ts';
import type { ParticipantContract } from './participantContract.ts';
import type { SagaDefinition } from '../sagaDefinition.ts';

/**
 * The participants as one saga sees them: only the commands it emits, where a participant serves
 * several sagas (the returns' refund beside the order's capture). A command no registered saga
 * emits stays, so that the check still says nobody sends it.
 */
export function participantsOfSaga(definition: SagaDefinition, participants: readonly ParticipantContract[], all: readonly SagaDefinition[]): ParticipantContract[] {
  const emittedBy = (candidate: SagaDefinition) => new Set(emissionsOf(candidate.machine).emissions.map((emission) => emission.command));
  const own = emittedBy(definition);
  const anyone = new Set(all.flatMap((candidate) => [...emittedBy(candidate)]));
  return participants
    .map((participant) => ({ ...participant, handles: Object.fromEntries(Object.entries(participant.handles).filter(([command]) => own.has(command) || !anyone.has(command))) }))
    .filter((participant) => Object.keys(participant.handles).length > 0);
}

/** The events a saga accepts that answer no command (its start, a person's decision, an outside party's event): nobody's reply, yet sent. */
export const outsideEventsOf = (definition: SagaDefinition): string[] => [
  ...new Set([...Object.values(definition.operatorActions ?? {}), ...Object.entries(definition.events).filter(([, rule]) => rule.answers === undefined).map(([type]) => type)]),
];
