import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

/** JSON with every object's keys sorted, so that two equal values always give the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

const fingerprints = new WeakMap<AnyStateMachine, string>();

/**
 * SHA-256 (hex) of the canonical JSON of a machine's definition (`machine.toJSON()`): its states,
 * transitions and their targets, guards' and actions' names and parameters, delays. Stored with
 * each stream's first event, it tells "same version number, different machine" apart even where
 * the stream's history still replays. Implementations behind the names (what a named guard or
 * action does) are not in it: replay against the stored snapshots catches those.
 *
 * @example
 * machineFingerprint(ticketMachine); // '3f1c…' (64 hex digits), stable across processes
 */
export function machineFingerprint(machine: AnyStateMachine): string {
  let fingerprint = fingerprints.get(machine);
  if (!fingerprint) {
    fingerprint = createHash('sha256').update(canonicalJson(machine.toJSON())).digest('hex');
    fingerprints.set(machine, fingerprint);
  }
  return fingerprint;
}
