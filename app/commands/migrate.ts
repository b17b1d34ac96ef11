import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isoNow, systemClock, type Clock } from '../../runtime/clock.ts';
import { migrateSagas, type MigrationReport } from '../../runtime/migrateSagas.ts';
import type { Config } from '../config.ts';
import { openEventStore } from './openEventStore.ts';
import { sagaCatalog, type SagaCatalog } from '../sagaCatalog.ts';

export const MIGRATE_USAGE = `usage: xsaga migrate <machineId> --from N --to M [--where state=<dotted state>] [--dry-run] [--operator NAME] [--json]

Moves the active sagas of <machineId> on version N to version M with the migration the saga
declares between them: each saga in a state it maps gets a MachineMigrated event and continues on
version M from the mapped state; a saga in a state it does not map is refused and left as it is
(exit 1). --dry-run prints what it would do and writes nothing. Against the configured event store
(XSAGA_DATA_DIR, or XSAGA_PG_URL and XSAGA_PG_SCHEMA in production mode).`;

export type MigrateCommandOptions = Readonly<{ catalog?: Pick<SagaCatalog, 'registry' | 'migrations'>; print?: (text: string) => void; clock?: Clock }>;

function formatMigrationReport(report: MigrationReport): string {
  const verb = report.dryRun ? 'would migrate' : 'migrated';
  return [
    ...report.migrated.map((saga) => `${verb} ${saga.streamId}: ${saga.fromState} → ${saga.toState}`),
    ...report.refused.map((saga) => `REFUSED ${saga.streamId} (${saga.fromState}): ${saga.reason}`),
    `${report.dryRun ? 'dry run: ' : ''}${report.migrated.length} saga(s) ${verb}, ${report.refused.length} refused`,
  ].join('\n');
}

/** `xsaga migrate`: resolves to the exit code (0 every saga moved, 1 some refused, 2 bad arguments or no migration). */
export async function runMigrateCommand(config: Config, args: string[], options: MigrateCommandOptions = {}): Promise<number> {
  const print = options.print ?? ((text: string) => console.log(text));
  const fail = (problem: string) => {
    print(`${problem}\n\n${MIGRATE_USAGE}`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { from: { type: 'string' }, to: { type: 'string' }, where: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, operator: { type: 'string', default: process.env.USER ?? 'cli' }, json: { type: 'boolean', default: false } },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [machineId] = positionals;
  const from = Number(values.from);
  const to = Number(values.to);
  if (!machineId || positionals.length > 1) return fail('name one machine');
  if (!Number.isInteger(from) || !Number.isInteger(to) || values.from === undefined || values.to === undefined) return fail('--from and --to are version numbers');
  if (values.where !== undefined && !values.where.startsWith('state=')) return fail(`--where takes state=<dotted state>, not ${values.where}`);
  const { registry, migrations } = options.catalog ?? sagaCatalog();
  const migration = migrations.find((m) => m.machineId === machineId && m.from === from && m.to === to);
  if (!migration) return fail(`no migration of ${machineId} from ${from} to ${to} is declared`);
  if (config.mode === 'embedded' && (config.dataDir === ':memory:' || !existsSync(config.dataDir))) return fail(`no event store to migrate: XSAGA_DATA_DIR is ${config.dataDir}`);
  const clock = options.clock ?? systemClock;
  const store = await openEventStore(config);
  try {
    const report = await migrateSagas({
      store,
      registry,
      migration,
      state: values.where?.slice('state='.length),
      dryRun: values['dry-run'],
      operator: values.operator,
      now: () => isoNow(clock),
    });
    print(values.json ? JSON.stringify(report, null, 2) : formatMigrationReport(report));
    return report.refused.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
