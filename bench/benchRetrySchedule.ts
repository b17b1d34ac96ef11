/**
 * The retry schedule every system of the benchmark runs with: the first wait 10 ms, doubling, at most
 * 1 s. Restate's invocation retries take it as their policy; xsaga and the raw baseline take it as
 * their backoff (`XSAGA_RETRY_BASE_MS`, `XSAGA_RETRY_MAX_MS`), with full jitter under each wait.
 * xsaga's own default (200 ms, for a real payment provider) would make the mix's flaky payments
 * wait hundreds of milliseconds that Restate's do not, and its latency figures would compare waits, not systems.
 */
export const BENCH_RETRY_SCHEDULE = { initialMs: 10, maxMs: 1_000 } as const;

/** The schedule as xsaga reads it from its environment. */
export const BENCH_RETRY_ENV = {
  XSAGA_RETRY_BASE_MS: String(BENCH_RETRY_SCHEDULE.initialMs),
  XSAGA_RETRY_MAX_MS: String(BENCH_RETRY_SCHEDULE.maxMs),
} as const;
