import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdempotencyGuard } from '../../runtime/idempotencyGuard.ts';

type Factory = () => Promise<{ guard: IdempotencyGuard; expire: (ms: number) => Promise<void> }>;

/** The behaviour every IdempotencyGuard must have. `expire` lets time pass for the guard. */
export function idempotencyGuardContract(name: string, factory: Factory): void {
  describe(`IdempotencyGuard contract: ${name}`, () => {
    let guard: IdempotencyGuard;
    let expire: (ms: number) => Promise<void>;
    beforeEach(async () => {
      ({ guard, expire } = await factory());
    });
    afterEach(async () => {
      await guard.close();
    });

    it('remembers the first outcome only', async () => {
      expect(await guard.recall('op-1')).toBeUndefined();
      expect(await guard.remember('op-1', 'first', 60_000)).toBe(true);
      expect(await guard.remember('op-1', 'second', 60_000)).toBe(false);
      expect(await guard.recall('op-1')).toBe('first');
    });

    it('lets only one of many concurrent callers win', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => guard.remember('race', `caller-${i}`, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await guard.recall('race')).toBe(`caller-${winner}`);
    });

    it('forgets an outcome after its time to live', async () => {
      await guard.remember('short', 'x', 50);
      await expire(120);
      expect(await guard.recall('short')).toBeUndefined();
      expect(await guard.remember('short', 'y', 60_000)).toBe(true);
    });
  });
}
