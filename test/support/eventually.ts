export type EventuallyOptions = Readonly<{
  /** Give up after this long; the last failure is rethrown. */
  timeoutMs?: number;
  /** Wait this long between attempts. */
  intervalMs?: number;
  /**
   * Called before every attempt: what it throws ends the wait at once (a problem that waiting cannot
   * mend, such as a run that already went wrong), instead of being retried until the timeout.
   */
  failFast?: () => void;
}>;

/**
 * Calls `check` until it returns without throwing, then returns its value. Polling instead of
 * sleeping keeps a test as fast as the system under test and bounded when it never settles.
 *
 * @example
 * const view = await eventually(async () => {
 *   const order = await getOrder(id);
 *   expect(order.status).toBe('COMPLETED');
 *   return order;
 * }, { timeoutMs: 5_000 });
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    options.failFast?.();
    try {
      return await check();
    } catch (error) {
      if (Date.now() + intervalMs > deadline) {
        throw new Error(`still failing after ${timeoutMs} ms (${attempt} attempts): ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
