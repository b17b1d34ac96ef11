import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { emptyClusterDump } from '../adapters/pglite/pgliteClient.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A dump of an empty PGlite cluster that every in-memory PGlite of the run starts from (test/pgliteStart.ts). */
    pgliteClusterDump: string;
  }
}

/**
 * Creating a PGlite cluster takes seconds, and the suites create one or more per file: the run
 * creates it once, keeps its dump beside the installed packages (one per PGlite version, so an
 * upgrade makes a new one), and every in-memory PGlite of the run starts from that dump.
 */
export async function setup(project: TestProject): Promise<void> {
  // The package exports no package.json: read the installed one.
  const { version } = JSON.parse(await readFile(resolve('node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
  const file = resolve(join('node_modules', '.cache', 'xsaga', `pglite-${version}-empty-cluster.tar`));
  if (!existsSync(file)) {
    await mkdir(join(file, '..'), { recursive: true });
    // Each project's setup may make it at the same moment: each writes its own file, and the last rename wins.
    const partial = `${file}.${randomUUID()}.partial`;
    await writeFile(partial, Buffer.from(await (await emptyClusterDump()).arrayBuffer()));
    // Whole or absent: a run stopped halfway leaves a partial file that nobody reads.
    await rename(partial, file);
  }
  project.provide('pgliteClusterDump', file);
}
