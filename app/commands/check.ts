import { parseArgs } from 'node:util';
import { checkSaga, formatSafetyReport, type SafetyReport } from '../../runtime/safety/checkSaga.ts';
import { outsideEventsOf, participantsOfSaga } from '../../runtime/safety/sagaParticipants.ts';
import { sagaCatalog, type SagaCatalog } from '../sagaCatalog.ts';

export const CHECK_USAGE = `usage: xsaga check [--json]

Checks every registered saga machine from its definition alone, against what its participants
declare: every non-final state has a way out, every state after a completed step can reach a final
state through compensation (undoing in reverse order), every reply is accepted and every command
has a participant. Exits 1 if any check fails.`;

export type CheckCommandOptions = Readonly<{ catalog?: Pick<SagaCatalog, 'registry' | 'participants'>; print?: (text: string) => void }>;

/**
 * `xsaga check`: prints one report per registered machine version; resolves to the exit code
 * (0 safe, 1 problems found, 2 bad arguments).
 */
export async function runCheckCommand(args: string[], options: CheckCommandOptions = {}): Promise<number> {
  const print = options.print ?? ((text: string) => console.log(text));
  let json: boolean;
  try {
    json = parseArgs({ args, options: { json: { type: 'boolean', default: false } } }).values.json;
  } catch (error) {
    print(`${(error as Error).message}\n\n${CHECK_USAGE}`);
    return 2;
  }
  const { registry, participants } = options.catalog ?? sagaCatalog();
  const all = registry.all();
  const reports: SafetyReport[] = all.map((definition) =>
    checkSaga(definition.machine, participantsOfSaga(definition, participants, all), { version: definition.version, operatorEvents: outsideEventsOf(definition) }),
  );
  print(json ? JSON.stringify(reports, null, 2) : reports.map(formatSafetyReport).join('\n\n'));
  return reports.some((report) => report.problems.length > 0) ? 1 : 0;
}
