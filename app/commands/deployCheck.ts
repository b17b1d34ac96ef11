import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deployGate, formatDeployGateReport } from '../../runtime/deployGate.ts';
import type { Config } from '../config.ts';
import { openEventStore } from './openEventStore.ts';
import { sagaCatalog, type SagaCatalog } from '../sagaCatalog.ts';

export const DEPLOY_CHECK_USAGE = `usage: xsaga deploy-check [--json]

The deploy gate: run it with the code about to be deployed, against the event store in use
(XSAGA_DATA_DIR, or XSAGA_PG_URL and XSAGA_PG_SCHEMA in production mode), before any process
restarts. Every active saga is replayed through the machine version it is pinned to; the deploy is
refused (exit 1) when a version that active sagas use is no longer registered, when a registered
version's machine differs from the one those sagas started on (its fingerprint), or when an active
saga no longer replays. Prints the active sagas per machine and version. Exit 0 when it passes.`;

export type DeployCheckCommandOptions = Readonly<{ catalog?: Pick<SagaCatalog, 'registry'>; print?: (text: string) => void }>;

/** `xsaga deploy-check`: resolves to the exit code (0 pass, 1 refused, 2 bad arguments or no store). */
export async function runDeployCheckCommand(config: Config, args: string[], options: DeployCheckCommandOptions = {}): Promise<number> {
  const print = options.print ?? ((text: string) => console.log(text));
  let json: boolean;
  try {
    json = parseArgs({ args, options: { json: { type: 'boolean', default: false } } }).values.json;
  } catch (error) {
    print(`${(error as Error).message}\n\n${DEPLOY_CHECK_USAGE}`);
    return 2;
  }
  if (config.mode === 'embedded' && (config.dataDir === ':memory:' || !existsSync(config.dataDir))) {
    print(`no event store to check: XSAGA_DATA_DIR is ${config.dataDir === ':memory:' ? ':memory:' : `${config.dataDir}, which does not exist`}`);
    return 2;
  }
  const { registry } = options.catalog ?? sagaCatalog();
  const store = await openEventStore(config);
  try {
    const report = await deployGate({ store, registry });
    print(json ? JSON.stringify(report, null, 2) : formatDeployGateReport(report));
    return report.passed ? 0 : 1;
  } finally {
    await store.close();
  }
}
