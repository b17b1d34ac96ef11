import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites share real servers; files run in parallel, tests inside a file in order.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
