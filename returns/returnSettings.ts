import type { ReturnSettings } from './returnTypes.ts';

const HOUR_MS = 3_600_000;

/** What a deployment uses when its environment says nothing (`XSAGA_RETURN_*`, parsed at the entry point). */
export const RETURN_SETTING_DEFAULTS = {
  approvalAboveMinor: 50_000,
  approvalDeadlineMs: 48 * HOUR_MS,
  parcelDeadlineMs: 14 * 24 * HOUR_MS,
} as const satisfies Partial<ReturnSettings>;

/**
 * The optional settings a stream may leave out, as the machine fills them in. Pinned: a stream
 * that left one out is replayed with these values for ever, so they never change.
 */
export const PINNED_OPTIONAL_SETTINGS = {
  stepDeadlineMs: 10 * 60_000,
  maxAttempts: 3,
  retryBaseMs: 200,
  retryMaxMs: 60_000,
  parkAfterAttempts: 50,
} as const satisfies Required<Omit<ReturnSettings, keyof typeof RETURN_SETTING_DEFAULTS>>;
