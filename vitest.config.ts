import { defineConfig } from 'vitest/config';

/** The real servers (test/globalSetup.ts) are started only for the projects that talk to them. */
const SERVERS = 'test/globalSetup.ts';
/** The in-memory PGlites of these files start from one empty cluster, made once per PGlite version (test/pgliteSetup.ts). */
const PGLITE = { globalSetup: 'test/pgliteSetup.ts', setupFile: 'test/pgliteStart.ts' };

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // In-process suites: no server, files two at a time (`npm run test:unit`).
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          globalSetup: [PGLITE.globalSetup],
          setupFiles: [PGLITE.setupFile],
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        // Single-server suites run beside the unit files.
        test: {
          name: 'int',
          include: ['test/int/**/*.test.ts'],
          globalSetup: [SERVERS],
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        // Whole systems under load on two cores: one at a time, after the rest, so none starves another.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: [SERVERS, 'test/browserSetup.ts', PGLITE.globalSetup],
          setupFiles: [PGLITE.setupFile],
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        // Faults under load on servers the run owns (chaos/): last, alone, so that nothing else shares its two cores.
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
