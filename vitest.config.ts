import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // In-process and single-server suites: files run two at a time.
        test: { name: 'unit+int', include: ['test/unit/**/*.test.ts', 'test/int/**/*.test.ts'], fileParallelism: true, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        // Whole systems under load on two cores: one at a time, after the rest, so none starves another.
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
