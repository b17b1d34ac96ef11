/**
 * Broker answers after which an idempotent producer cannot send again: its sequence numbers no longer
 * match the broker's (an append it did not count), or the broker no longer knows its producer id or
 * epoch. kafkajs 2.2.4 fails that send and keeps the producer's state, so every later send from the
 * same producer fails the same way.
 */
const LOST_PRODUCER_STATE = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** True if `error` (or an error it wraps, as kafkajs's retrier does) says the producer's state is lost. */
export function hasLostProducerState(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (LOST_PRODUCER_STATE.has((cause as { type?: unknown }).type as string)) return true;
  }
  return false;
}
