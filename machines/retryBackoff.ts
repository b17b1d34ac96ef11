/**
 * Exponential backoff with full jitter, as a pure function: a machine may not read a clock or a
 * random source, so the jitter is a hash of what names the attempt (saga, step, attempt number).
 * Sagas that fail together still spread out, and a replay computes the same delays.
 */
export type BackoffSettings = Readonly<{ retryBaseMs: number; retryMaxMs: number }>;

/**
 * FNV-1a of the text, mixed by MurmurHash3's finaliser, mapped onto [0, 1). Without the finaliser,
 * texts that differ only in their last characters (attempt 12, 13, 14…) hash to neighbouring
 * values, and one saga's waits would all be short or all long.
 */
export function jitterOf(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/**
 * The wait before retry number `retry` (1 for the first retry): a uniform draw from
 * [0, min(max, base × 2^(retry − 1))), drawn by `jitterOf(seed)`.
 *
 * @example backoffDelay({ retryBaseMs: 200, retryMaxMs: 60_000 }, 3, 'order-1:refund:3') // somewhere in [0, 800)
 */
export function backoffDelay(settings: BackoffSettings, retry: number, seed: string): number {
  const ceiling = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.max(0, Math.min(retry - 1, 40)));
  return Math.floor(jitterOf(seed) * ceiling);
}
