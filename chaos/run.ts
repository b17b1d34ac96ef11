import { chaosOptionsFrom, CHAOS_USAGE } from './chaosOptions.ts';
import { runChaos } from './chaosRun.ts';
import { chaosPassed, formatChaosReport } from './formatReport.ts';

const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

try {
  const report = await runChaos(chaosOptionsFrom(process.argv.slice(2), log));
  console.log(formatChaosReport(report));
  process.exitCode = chaosPassed(report) ? 0 : 1;
} catch (error) {
  console.error((error as Error).message);
  console.error(CHAOS_USAGE);
  process.exitCode = 2;
}
