import { execFileSync } from 'node:child_process';

/** The servers the integration and end-to-end suites talk to. */
const SERVICES = ['postgres', 'redis', 'kafka', 'elasticsearch'];

const infra = (command: string, services: readonly string[]): number => {
  try {
    execFileSync('scripts/infra.sh', [command, ...services], { stdio: command === 'status' ? 'ignore' : 'inherit' });
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? 1;
  }
};

/** Starts the real servers the suite needs, and afterwards stops only those it started. */
export async function setup(): Promise<() => Promise<void>> {
  const startedHere = SERVICES.filter((service) => infra('status', [service]) !== 0);
  if (infra('up', SERVICES) !== 0) throw new Error(`could not start the test servers (${SERVICES.join(', ')}); see the output above`);
  return async () => {
    if (startedHere.length > 0) infra('down', startedHere);
  };
}
