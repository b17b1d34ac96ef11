import type { Clock } from '../../runtime/clock.ts';
import { systemClock } from '../../runtime/clock.ts';
import type { IdempotencyGuard } from '../../runtime/idempotencyGuard.ts';

/** The embedded guard: a map with expiry times, swept as it grows. */
export function createMemoryIdempotencyGuard(options: { clock?: Clock; maxEntries?: number } = {}): IdempotencyGuard {
  const clock = options.clock ?? systemClock;
  const maxEntries = options.maxEntries ?? 1_000_000;
  const entries = new Map<string, { outcome: string; expiresAt: number }>();

  function sweep(): void {
    const now = clock.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    // Still too many: forget the oldest; the durable table answers for them.
    for (const key of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(key);
    }
  }

  return {
    async recall(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= clock.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.outcome;
    },
    async remember(key, outcome, ttlMs) {
      const current = entries.get(key);
      if (current && current.expiresAt > clock.now()) return false;
      entries.set(key, { outcome, expiresAt: clock.now() + ttlMs });
      if (entries.size > maxEntries) sweep();
      return true;
    },
    async close() {
      entries.clear();
    },
  };
}
