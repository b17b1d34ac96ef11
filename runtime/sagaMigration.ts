import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import type { StoredEvent } from './sagaStore.ts';

/** Where a saga waiting in one state of the old version goes in the new one. */
export type StateMigration = Readonly<{
  /** The new version's state, dotted (`payment.capturing`). */
  to: string;
  /** The new version's context from the old one; the context is kept as it is without it. Runs once, when the saga migrates. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each machine's context is a type of its own
  context?: (context: any) => unknown;
}>;

/**
 * How sagas of one machine move from one version to another, written next to the machine as data:
 * the old version's states (dotted) that may move, each to a state of the new version. A saga in
 * a state the migration does not name stays where it is.
 *
 * @example
 * const v1ToV2: SagaMigration = { machineId: 'orderSaga', from: 1, to: 2, states: { 'payment.capturing': { to: 'payment.capturing' } } };
 */
export type SagaMigration = Readonly<{
  machineId: string;
  from: number;
  to: number;
  states: Readonly<Record<string, StateMigration>>;
}>;

/** The event a migration appends to a saga's stream. */
export const MACHINE_MIGRATED = 'MachineMigrated';

/**
 * What a migration did to a saga: who moved it when, from which version and state to which, and
 * the new version's state and context and the commands it still awaits, as they were computed then.
 * Replay starts the new version from here: the migration's code is not run again.
 */
export type MachineMigratedData = Readonly<{
  from: number;
  to: number;
  fromState: string;
  toState: string;
  operator: string;
  at: string;
  state: Readonly<{ value: unknown; context: unknown }>;
  awaiting: readonly (readonly [string, string])[];
  startedAt?: string;
}>;

export const isMachineMigrated = (message: StoredEvent['message']): boolean => message.type === MACHINE_MIGRATED;

/** The index of the last migration into `version` among `events`, or -1: the events before it belong to another version. */
export function lastMigrationInto(version: number, events: readonly StoredEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const { message } = events[i]!;
    if (isMachineMigrated(message) && (message.data as MachineMigratedData).to === version) return i;
  }
  return -1;
}

/** The new version's snapshot that a migration recorded. */
export function migratedSnapshotOf(machine: AnyStateMachine, data: MachineMigratedData): AnyMachineSnapshot {
  return machine.resolveState(data.state as Parameters<AnyStateMachine['resolveState']>[0]);
}

/** `payment.capturing` → `{ payment: 'capturing' }`. */
export function stateValueOf(dotted: string): unknown {
  const parts = dotted.split('.');
  return parts.reduceRight<unknown>((child, key) => (child === undefined ? key : { [key]: child }), undefined);
}
