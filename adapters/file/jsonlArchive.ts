import { mkdir, open, readdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ArchiveSink } from '../../runtime/archiveStreams.ts';
import type { ArchivedStream } from '../../runtime/sagaStore.ts';

const FILE = /^streams-.*\.jsonl$/;

/**
 * An archive directory of JSON Lines files, one stream a line, one file per archiving run
 * (`streams-<time>.jsonl`); every write is flushed to disk (fsync) before it resolves.
 */
export async function jsonlArchiveSink(dir: string, now = new Date()): Promise<ArchiveSink & { file: string }> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `streams-${now.toISOString().replace(/[:.]/g, '-')}.jsonl`);
  return {
    file,
    async write(streams) {
      const handle = await open(file, 'a');
      try {
        await handle.write(streams.map((stream) => `${JSON.stringify(stream)}\n`).join(''));
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
  };
}

/** Every stream of an archive directory, once each (a run interrupted between writing and deleting wrote some twice). */
export async function* readJsonlArchive(dir: string): AsyncGenerator<ArchivedStream> {
  const files = (await readdir(dir)).filter((name) => FILE.test(name)).sort();
  const seen = new Set<string>();
  for (const name of files) {
    const lines = createInterface({ input: createReadStream(join(dir, name), 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let stream: ArchivedStream;
      try {
        stream = JSON.parse(text) as ArchivedStream;
      } catch (error) {
        throw new Error(`${name}:${line}: not a JSON line: ${(error as Error).message}`, { cause: error });
      }
      if (seen.has(stream.head.streamId)) continue;
      seen.add(stream.head.streamId);
      yield stream;
    }
  }
}
