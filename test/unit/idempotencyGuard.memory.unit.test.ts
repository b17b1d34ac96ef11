import { createMemoryIdempotencyGuard } from '../../adapters/memory/memoryIdempotencyGuard.ts';
import { idempotencyGuardContract } from '../contracts/idempotencyGuardContract.ts';

idempotencyGuardContract('in-memory', async () => {
  let now = 1_000_000;
  const guard = createMemoryIdempotencyGuard({ clock: { now: () => now } });
  return { guard, expire: async (ms) => void (now += ms) };
});
