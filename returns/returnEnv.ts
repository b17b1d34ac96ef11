import { XsagaError } from 'xsaga';
import { RETURN_SETTING_DEFAULTS } from './returnSettings.ts';

/** What the returns saga is told by its environment; pinned into every return when it starts. */
export type ReturnEnv = Readonly<{ approvalAboveMinor: number; approvalDeadlineMs: number; parcelDeadlineMs: number }>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A whole, non-negative number from the environment, or the default; anything else refuses to start. */
function wholeNumberFrom(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new XsagaError('CONFIG', `${name} must be a whole number of at least ${min}, not ${JSON.stringify(raw)}`);
  return value;
}

/**
 * `XSAGA_RETURN_APPROVAL_ABOVE` (minor units, default 50000): returns refunding more wait for an
 * operator; `XSAGA_RETURN_APPROVAL_HOURS` (48): then they are rejected; `XSAGA_RETURN_PARCEL_DAYS`
 * (14): how long the parcel may take once the label is issued.
 */
export function returnEnv(env: Readonly<Record<string, string | undefined>>): ReturnEnv {
  return {
    approvalAboveMinor: wholeNumberFrom(env, 'XSAGA_RETURN_APPROVAL_ABOVE', RETURN_SETTING_DEFAULTS.approvalAboveMinor, 0),
    approvalDeadlineMs: wholeNumberFrom(env, 'XSAGA_RETURN_APPROVAL_HOURS', RETURN_SETTING_DEFAULTS.approvalDeadlineMs / HOUR_MS, 1) * HOUR_MS,
    parcelDeadlineMs: wholeNumberFrom(env, 'XSAGA_RETURN_PARCEL_DAYS', RETURN_SETTING_DEFAULTS.parcelDeadlineMs / DAY_MS, 1) * DAY_MS,
  };
}
