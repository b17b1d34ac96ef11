import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../chaos/servers/freePort.ts';
import { startOwnKafka } from '../../chaos/servers/ownKafka.ts';
import { eventually } from '../support/eventually.ts';
import { productionEnv } from '../support/productionEnv.ts';

describe('a role started while a server is away', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('waits for the broker and becomes ready once it answers, instead of hanging half started', { timeout: 240_000 }, async () => {
    const production = await productionEnv('away');
    cleanups.push(production.dispose);
    // Nothing listens on the broker's port yet: the worker's start-up fails and must try again.
    const kafkaPort = await freePort();
    const worker = spawn(process.execPath, ['app/main.ts', 'worker'], {
      env: { ...process.env, ...production.env, XSAGA_KAFKA_BROKERS: `127.0.0.1:${kafkaPort}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => worker.kill('SIGKILL'));
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const alive = () => {
      if (worker.exitCode !== null || worker.signalCode !== null) throw new Error(`the worker exited (${worker.exitCode ?? worker.signalCode}):\n${output}`);
    };

    await eventually(() => expect(output).toMatch(/could not start \(attempt 2\)/), { timeoutMs: 90_000, intervalMs: 100, failFast: alive });
    expect(output).not.toMatch(/xsaga ready/);

    const kafka = await startOwnKafka({ port: kafkaPort });
    cleanups.push(() => kafka.dispose());
    await eventually(() => expect(output).toMatch(/xsaga ready: worker/), { timeoutMs: 120_000, intervalMs: 200, failFast: alive });
  });
});
