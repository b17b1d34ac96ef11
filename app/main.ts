import { parseArgs } from 'node:util';
import { isXsagaError } from '../runtime/errors.ts';
import { loadConfig } from './config.ts';
import { formatDemoResult, runDemo } from './demo.ts';
import { createEmbeddedAdapters } from './embeddedAdapters.ts';
import { startSystem } from './system.ts';

const USAGE = `usage: xsaga <command> [options]

commands:
  start                      run every role in one process on the embedded default
  demo [--orders N] [--concurrency C] [--timeout-ms T]
                             send N orders with every failure mode and check the invariants

environment: see README.md (PORT, XSAGA_DATA_DIR, XSAGA_PAYMENT_TIMEOUT_MS, ...)`;

async function start(): Promise<void> {
  const config = loadConfig(process.env);
  const system = await startSystem({ config, adapters: await createEmbeddedAdapters(config) });
  const url = await system.listen();
  console.log(`xsaga listening on ${url} (embedded, data in ${config.dataDir})`);
  const shutdown = async () => {
    console.log('xsaga stopping');
    await system.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function demo(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      orders: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '64' },
      'timeout-ms': { type: 'string', default: '300000' },
    },
  });
  const whole = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got "${value}"`);
    return n;
  };
  // The demo shortens the payment deadline so that orders whose payment never answers end quickly.
  const config = loadConfig({ XSAGA_PAYMENT_TIMEOUT_MS: '2000', ...process.env });
  const result = await runDemo(config, {
    orders: whole('orders', values.orders),
    concurrency: whole('concurrency', values.concurrency),
    timeoutMs: whole('timeout-ms', values['timeout-ms']),
  });
  console.log(formatDemoResult(result));
  if (result.invariants.violations.length > 0 || result.invariants.pending > 0) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'demo':
      return demo(rest);
    default:
      console.error(USAGE);
      process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(isXsagaError(error, 'CONFIG') ? error.message : error);
  process.exitCode = 1;
});
