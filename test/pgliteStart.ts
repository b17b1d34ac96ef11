import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { startInMemoryClientsFrom } from '../adapters/pglite/pgliteClient.ts';

// Each test file's in-memory PGlites start from the run's empty cluster (test/pgliteSetup.ts).
startInMemoryClientsFrom(new Blob([await readFile(inject('pgliteClusterDump'))]));
