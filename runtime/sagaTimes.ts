import { stateName } from './stateName.ts';

/**
 * When a saga began and when it entered the state it is in, by the times its messages carry
 * (`metadata.occurredAt`: the saga's clock, as replay sees it). Unknown (undefined) for a saga
 * hydrated from a snapshot stored before snapshots kept them, until it next moves.
 */
export type SagaTimes = Readonly<{ startedAt: string | undefined; enteredAt: string | undefined }>;

export const unknownTimes: SagaTimes = { startedAt: undefined, enteredAt: undefined };

/** The times of a saga whose first message is at `at`. */
export const startedTimes = (at: string): SagaTimes => ({ startedAt: at, enteredAt: at });

/** A state the saga left, and how long it had been in it (undefined when when it entered is unknown). */
export type StateLeft = Readonly<{ state: string; seconds: number | undefined }>;

/** Seconds from one message time to a later one; never negative, whatever the clocks of their senders. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.max(0, ms) / 1000 : undefined;
}

/**
 * The times after a message at `at` moved a saga from state value `before` to `after`, and the state
 * it left, if the message changed the state (a message may change only the context).
 */
export function timesAfterMove(times: SagaTimes, before: unknown, after: unknown, at: string): { times: SagaTimes; left?: StateLeft } {
  const from = stateName(before);
  if (from === stateName(after)) return { times };
  return { times: { startedAt: times.startedAt, enteredAt: at }, left: { state: from, seconds: secondsBetween(times.enteredAt, at) } };
}
