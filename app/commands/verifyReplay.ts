import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { formatReplayReport, verifyReplay } from '../../runtime/verifyReplay.ts';
import type { Config } from '../config.ts';
import { sagaCatalog, type SagaCatalog } from '../sagaCatalog.ts';

export const VERIFY_REPLAY_USAGE = `usage: xsaga verify-replay [--stream <id>]... [--json]

Replays the stored streams of the configured event store (XSAGA_DATA_DIR, or XSAGA_PG_URL and
XSAGA_PG_SCHEMA in production mode) through the machine version each is pinned to, and compares
with the stored snapshots and terminal states. Exits 1 if any stream diverges. Run it against an
embedded data directory only while no xsaga process has it open.`;

export type VerifyReplayCommandOptions = Readonly<{ catalog?: SagaCatalog; print?: (text: string) => void }>;

/** Opens only the event store of the configured mode: no bus, read model or guard is needed to replay. */
async function openStore(config: Config): Promise<SagaStore> {
  if (config.mode === 'production') {
    const { createPgClient } = await import('../../adapters/postgres/pgClient.ts');
    const sql = await createPgClient({ connectionString: config.production!.pgUrl, schema: config.production!.pgSchema, maxConnections: 2 });
    return createSqlSagaStore(sql, { migrate: false });
  }
  const { createPgliteClient } = await import('../../adapters/pglite/pgliteClient.ts');
  return createSqlSagaStore(await createPgliteClient(config.dataDir));
}

/**
 * `xsaga verify-replay`: prints the streams whose replay diverges from what was stored (stream
 * id, version, stored and replayed state); resolves to the exit code (0 none, 1 divergences,
 * 2 bad arguments or nothing to read).
 */
export async function runVerifyReplayCommand(config: Config, args: string[], options: VerifyReplayCommandOptions = {}): Promise<number> {
  const print = options.print ?? ((text: string) => console.log(text));
  let values: { stream: string[]; json: boolean };
  try {
    values = parseArgs({ args, options: { stream: { type: 'string', multiple: true, default: [] }, json: { type: 'boolean', default: false } } }).values;
  } catch (error) {
    print(`${(error as Error).message}\n\n${VERIFY_REPLAY_USAGE}`);
    return 2;
  }
  if (config.mode === 'embedded' && (config.dataDir === ':memory:' || !existsSync(config.dataDir))) {
    print(`no event store to verify: XSAGA_DATA_DIR is ${config.dataDir === ':memory:' ? ':memory:' : `${config.dataDir}, which does not exist`}`);
    return 2;
  }
  const { registry } = options.catalog ?? sagaCatalog();
  const store = await openStore(config);
  try {
    const report = await verifyReplay({ store, registry, streamIds: values.stream.length > 0 ? values.stream : undefined });
    print(values.json ? JSON.stringify(report, null, 2) : formatReplayReport(report));
    return report.divergences.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
