/** A machine and the version a saga is pinned to: how every saga metric is labelled. */
export type MachineLabel = Readonly<{ machine: string; version: number }>;

/** How a participant answered one command: performed now, answered from a stored outcome, or not at all. */
export type CommandOutcome = 'performed' | 'transient' | 'silent' | 'duplicate' | 'dead_lettered';

/**
 * What the runtime, the relay, the scheduler and the participants report as they work, for a
 * metrics adapter to count (docs/decisions/0017). Each call is made after the work it reports was
 * committed, so a batch retried after a failure is counted once. The runtime never depends on a
 * metrics library: `noRuntimeMetrics` is the default, and app/ plugs in Prometheus.
 */
export interface RuntimeMetrics {
  sagaStarted(saga: MachineLabel): void;
  /** A saga left `state` after `seconds` in it, by the times of the messages that moved it in and out. */
  stateLeft(saga: MachineLabel & Readonly<{ state: string; seconds: number }>): void;
  /**
   * A saga reached a final state. `reason` is empty when it completed; `seconds` is the time from its
   * first message to its last, when both are known.
   */
  sagaEnded(saga: MachineLabel & Readonly<{ failed: boolean; reason: string; seconds: number | undefined }>): void;
  actorCacheLookups(hits: number, misses: number): void;
  timersArmed(count: number): void;
  timersFired(count: number): void;
  /** Outbox rows published by the process that committed them (`writer`) or by the relay's sweep. */
  outboxPublished(path: 'writer' | 'sweep', count: number): void;
  deadLettered(consumer: string, reason: string, count: number): void;
  participantCommand(outcome: Readonly<{ participant: string; command: string; outcome: CommandOutcome; reply: string }>): void;
}

const nothing = () => undefined;

/** Counts nothing: the default wherever no metrics adapter is plugged in. */
export const noRuntimeMetrics: RuntimeMetrics = {
  sagaStarted: nothing,
  stateLeft: nothing,
  sagaEnded: nothing,
  actorCacheLookups: nothing,
  timersArmed: nothing,
  timersFired: nothing,
  outboxPublished: nothing,
  deadLettered: nothing,
  participantCommand: nothing,
};
