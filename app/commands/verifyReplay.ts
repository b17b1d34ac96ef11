import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readJsonlArchive } from '../../adapters/file/jsonlArchive.ts';
import { formatReplayReport, verifyArchive, verifyReplay } from '../../runtime/verifyReplay.ts';
import type { Config } from '../config.ts';
import { openEventStore } from './openEventStore.ts';
import { sagaCatalog, type SagaCatalog } from '../sagaCatalog.ts';

export const VERIFY_REPLAY_USAGE = `usage: xsaga verify-replay [--stream <id>]... [--json] | --archive <dir> [--json]

Replays the stored streams of the configured event store (XSAGA_DATA_DIR, or XSAGA_PG_URL and
XSAGA_PG_SCHEMA in production mode) through the machine version each is pinned to, and compares
with the stored snapshots and terminal states. Exits 1 if any stream diverges. Run it against an
embedded data directory only while no xsaga process has it open. With --archive, it replays the
streams \`xsaga archive\` moved to <dir> instead: each must replay to its end.`;

export type VerifyReplayCommandOptions = Readonly<{ catalog?: Pick<SagaCatalog, 'registry' | 'participants'>; print?: (text: string) => void }>;

/**
 * `xsaga verify-replay`: prints the streams whose replay diverges from what was stored (stream
 * id, version, stored and replayed state); resolves to the exit code (0 none, 1 divergences,
 * 2 bad arguments or nothing to read).
 */
export async function runVerifyReplayCommand(config: Config, args: string[], options: VerifyReplayCommandOptions = {}): Promise<number> {
  const print = options.print ?? ((text: string) => console.log(text));
  let values: { stream: string[]; json: boolean; archive?: string };
  try {
    values = parseArgs({ args, options: { stream: { type: 'string', multiple: true, default: [] }, json: { type: 'boolean', default: false }, archive: { type: 'string' } } }).values;
  } catch (error) {
    print(`${(error as Error).message}\n\n${VERIFY_REPLAY_USAGE}`);
    return 2;
  }
  const { registry } = options.catalog ?? sagaCatalog();
  if (values.archive !== undefined) {
    if (!existsSync(values.archive)) {
      print(`no archive to verify: ${values.archive} does not exist`);
      return 2;
    }
    const report = await verifyArchive({ streams: readJsonlArchive(values.archive), registry });
    print(values.json ? JSON.stringify(report, null, 2) : `archive ${values.archive}: ${formatReplayReport(report)}`);
    return report.divergences.length > 0 ? 1 : 0;
  }
  if (config.mode === 'embedded' && (config.dataDir === ':memory:' || !existsSync(config.dataDir))) {
    print(`no event store to verify: XSAGA_DATA_DIR is ${config.dataDir === ':memory:' ? ':memory:' : `${config.dataDir}, which does not exist`}`);
    return 2;
  }
  const store = await openEventStore(config);
  try {
    const report = await verifyReplay({ store, registry, streamIds: values.stream.length > 0 ? values.stream : undefined });
    print(values.json ? JSON.stringify(report, null, 2) : formatReplayReport(report));
    return report.divergences.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
