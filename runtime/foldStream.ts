import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { stepperFor, type MachineStep } from './machineStepper.ts';
import { toMachineEvent } from './machineEvent.ts';
import type { SagaDefinition } from './sagaDefinition.ts';
import { lastMigrationInto, MACHINE_MIGRATED, migratedSnapshotOf, type MachineMigratedData } from './sagaMigration.ts';
import type { StoredEvent } from './sagaStore.ts';

/** One stored event folded into the saga: the snapshots on either side of it and what the step would have done. */
export type FoldedEvent = Readonly<{
  version: number;
  message: StoredEvent['message'];
  /**
   * What the machine received: XState's `xstate.init` with the saga's input for the start event,
   * the delayed event a fired timer held, or else the message as an event.
   */
  event: EventObject;
  /** Undefined for the start event, and for the migration into this version. */
  before: AnyMachineSnapshot | undefined;
  /** Set when the event is the migration that brought the saga onto this version: the fold starts again from its state. */
  migrated?: MachineMigratedData;
  after: AnyMachineSnapshot;
  /** The actions the step returned (commands to emit, timers to arm or cancel); the fold executes none. */
  actions: MachineStep[1];
}>;

export type FoldOptions = Readonly<{
  /** A snapshot restored at the version before `events`; without one, the first event starts the saga. */
  from?: AnyMachineSnapshot;
  /** Called after each event, in order: for callers that need every step, not only the end. */
  onEvent?: (folded: FoldedEvent) => void;
}>;

/**
 * The one fold of a stream: events through the saga's machine with the runtime's stepper, which
 * executes nothing. Hydration, the dashboard's trace of a saga and the inspector all replay with it;
 * `verifyReplay` deliberately folds with XState's own `transition()` instead, to check this one.
 * Returns the last snapshot: `from` when there are no events, undefined when there is nothing at all.
 *
 * @example
 * const snapshot = foldStream(definition, await store.readStream(streamId, 1), {
 *   onEvent: ({ version, after }) => console.log(version, after.value),
 * });
 */
export function foldStream(definition: SagaDefinition, events: readonly StoredEvent[], options: FoldOptions = {}): AnyMachineSnapshot | undefined {
  const stepper = stepperFor(definition.machine);
  let snapshot = options.from;
  // A saga migrated onto this version (MachineMigrated) starts again from the state the migration recorded; what came before was another machine's.
  const migration = lastMigrationInto(definition.version, events);
  for (const { version, message } of migration > 0 ? events.slice(migration) : events) {
    const before = snapshot;
    let event: EventObject;
    let actions: MachineStep[1];
    if (message.type === MACHINE_MIGRATED) {
      const migrated = message.data as MachineMigratedData;
      snapshot = migratedSnapshotOf(definition.machine, migrated);
      options.onEvent?.({ version, message, event: { type: MACHINE_MIGRATED }, before: undefined, after: snapshot, actions: [], migrated });
      continue;
    }
    if (before) {
      event = toMachineEvent(message);
      [snapshot, actions] = stepper.next(before, event);
    } else {
      const input = definition.input(message);
      event = { type: 'xstate.init', input } as EventObject;
      [snapshot, actions] = stepper.initial(input);
    }
    options.onEvent?.({ version, message, event, before, after: snapshot, actions });
  }
  return snapshot;
}
