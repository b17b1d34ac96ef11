import { chaosOptionsFrom, CHAOS_USAGE } from './chaosOptions.ts';
import { runChaos, type ChaosOptions } from './chaosRun.ts';
import { chaosPassed, formatChaosReport } from './formatReport.ts';

const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

// Ctrl-C stops the roles and removes the servers this run started, instead of leaving them running.
const interrupt = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  log(`${signal}: stopping the roles and the servers`);
  interrupt.abort();
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

let options: ChaosOptions;
try {
  options = { ...chaosOptionsFrom(process.argv.slice(2), log), signal: interrupt.signal };
} catch (error) {
  console.error(`${(error as Error).message}\n\n${CHAOS_USAGE}`);
  process.exit(2);
}
try {
  const report = await runChaos(options);
  console.log(formatChaosReport(report));
  process.exitCode = chaosPassed(report) ? 0 : 1;
} catch (error) {
  console.error(`chaos run failed: ${(error as Error).stack ?? (error as Error).message}`);
  process.exit(interrupt.signal.aborted ? 130 : 2);
}
