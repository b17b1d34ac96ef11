import { parseArgs } from 'node:util';
import { jsonlArchiveSink } from '../../adapters/file/jsonlArchive.ts';
import { archiveFinishedStreams } from '../../runtime/archiveStreams.ts';
import type { Config } from '../config.ts';
import { openEventStore } from './openEventStore.ts';

export const ARCHIVE_USAGE = `usage: xsaga archive --older-than <age> --to <dir> [--limit N]

Moves finished sagas whose last event is older than <age> (e.g. 30d, 36h, 90m) out of the event
store into JSON Lines files in <dir>, one stream a line with every event, and deletes them whole
(events, snapshot, outbox, timers, applied ids, idempotency key). Each batch is on disk (fsync)
before it is deleted. <age> must be at least the applied-id and idempotency-key windows
(XSAGA_RETAIN_APPLIED_IDS_MS, XSAGA_RETAIN_IDEMPOTENCY_KEYS_MS): within them, a finished saga's
rows still guard against a message or a request coming again. \`xsaga verify-replay --archive
<dir>\` replays what was archived.`;

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** `30d`, `36h`, `90m`, `45s` in milliseconds; undefined when it is none of those. */
export function parseAge(text: string): number | undefined {
  const match = /^(\d+)([dhms])$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

/** `xsaga archive`: resolves to the exit code (0 done, 2 bad arguments). */
export async function runArchiveCommand(config: Config, args: string[], options: { print?: (text: string) => void; now?: () => Date } = {}): Promise<number> {
  const print = options.print ?? ((text: string) => console.log(text));
  let values: { 'older-than'?: string; to?: string; limit?: string };
  try {
    values = parseArgs({ args, options: { 'older-than': { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' } } }).values;
  } catch (error) {
    print(`${(error as Error).message}\n\n${ARCHIVE_USAGE}`);
    return 2;
  }
  const ageMs = values['older-than'] === undefined ? undefined : parseAge(values['older-than']);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const { appliedMessageIdsMs, idempotencyKeysMs } = config.retention.policy;
  const guardedMs = Math.max(appliedMessageIdsMs, idempotencyKeysMs);
  const problem =
    ageMs === undefined ? `--older-than must be an age such as 30d, 36h or 90m, got ${JSON.stringify(values['older-than'] ?? null)}`
    : !values.to ? '--to <dir> is required'
    : limit !== undefined && !(Number.isInteger(limit) && limit > 0) ? `--limit must be a positive integer, got ${values.limit}`
    : ageMs < guardedMs ? `--older-than must be at least ${guardedMs / 1000} s: finished sagas' applied ids and idempotency keys are kept that long (XSAGA_RETAIN_APPLIED_IDS_MS, XSAGA_RETAIN_IDEMPOTENCY_KEYS_MS)`
    : undefined;
  if (problem) {
    print(`${problem}\n\n${ARCHIVE_USAGE}`);
    return 2;
  }
  const now = options.now?.() ?? new Date();
  const store = await openEventStore(config);
  try {
    const sink = await jsonlArchiveSink(values.to!, now);
    const before = new Date(now.getTime() - ageMs!).toISOString();
    const result = await archiveFinishedStreams({ store, sink, before, batchSize: config.retention.policy.batchSize, limit });
    print(`archived ${result.archived} finished streams (${result.events} events) last written before ${before}${result.archived > 0 ? ` to ${sink.file}` : ''}`);
    return 0;
  } finally {
    await store.close();
  }
}
