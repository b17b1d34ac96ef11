import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAge, runArchiveCommand } from '../../app/commands/archive.ts';
import { runVerifyReplayCommand } from '../../app/commands/verifyReplay.ts';
import { loadConfig } from '../../app/config.ts';
import { DEFAULT_MIX, orderRequestFor } from '../../app/orderMix.ts';
import { openEventStore } from '../../app/commands/openEventStore.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';

const DAY_MS = 86_400_000;

describe('xsaga archive on a store the embedded system filled', { timeout: 120_000 }, () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let archiveDir: string;
  let inFlight: string;
  const env = () => ({ XSAGA_DATA_DIR: data.dir, XSAGA_RETAIN_APPLIED_IDS_MS: String(DAY_MS), XSAGA_RETAIN_IDEMPOTENCY_KEYS_MS: String(DAY_MS) });
  const config = () => loadConfig(env(), { roles: [] });
  const run = async (command: typeof runArchiveCommand | typeof runVerifyReplayCommand, args: string[], now?: Date) => {
    const printed: string[] = [];
    const code = await command(config(), args, { print: (text) => void printed.push(text), now: now && (() => now) });
    return { code, text: printed.join('\n') };
  };

  beforeAll(async () => {
    data = await tempDataDir();
    archiveDir = join(data.dir, 'archive');
    // The payment that never answers keeps its saga in flight for the whole test.
    const system = await startEmbedded({ ...env(), XSAGA_PAYMENT_TIMEOUT_MS: String(DAY_MS) });
    try {
      const placed = await Promise.all(DEFAULT_MIX.map((scenario, i) => system.orders.placeOrder(orderRequestFor(i, scenario))));
      inFlight = placed[DEFAULT_MIX.findIndex((scenario) => scenario.paymentToken === 'tok_no_answer')]!.orderId;
      await eventually(
        async () => {
          const heads = await system.adapters.store.listStreams({ limit: 100 });
          expect(heads.filter((head) => head.status === 'done')).toHaveLength(DEFAULT_MIX.length - 1);
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
    } finally {
      await system.stop();
    }
  });
  afterAll(async () => {
    await data?.remove();
  });

  it('refuses an age within the windows that guard finished sagas, and bad arguments', async () => {
    expect(parseAge('30d')).toBe(30 * DAY_MS);
    expect(parseAge('90m')).toBe(90 * 60_000);
    expect(parseAge('soon')).toBeUndefined();
    const tooYoung = await run(runArchiveCommand, ['--older-than', '23h', '--to', archiveDir]);
    expect(tooYoung.code).toBe(2);
    expect(tooYoung.text).toMatch(/--older-than must be at least 86400 s/);
    expect((await run(runArchiveCommand, ['--older-than', '2d'])).text).toMatch(/--to <dir> is required/);
    expect((await run(runArchiveCommand, ['--older-than', 'a week', '--to', archiveDir])).code).toBe(2);
  });

  it('archives nothing younger than the age, then moves every finished saga to a file that replays, and keeps the saga in flight', async () => {
    const young = await run(runArchiveCommand, ['--older-than', '1d', '--to', archiveDir]);
    expect(young).toEqual({ code: 0, text: expect.stringMatching(/^archived 0 finished streams/) });

    const twoDaysLater = new Date(Date.now() + 2 * DAY_MS);
    const moved = await run(runArchiveCommand, ['--older-than', '1d', '--to', archiveDir], twoDaysLater);
    expect(moved.code).toBe(0);
    expect(moved.text).toMatch(new RegExp(`^archived ${DEFAULT_MIX.length - 1} finished streams \\(\\d+ events\\)`));

    const store = await openEventStore(config());
    try {
      expect((await store.listStreams({ limit: 100 })).map((head) => [head.streamId, head.status])).toEqual([[inFlight, 'active']]);
      expect(await store.finishedStreams(twoDaysLater.toISOString(), 100)).toEqual([]);
    } finally {
      await store.close();
    }
    const replayed = await run(runVerifyReplayCommand, ['--archive', archiveDir]);
    expect(replayed).toEqual({ code: 0, text: expect.stringMatching(new RegExp(`verified ${DEFAULT_MIX.length - 1} streams \\(\\d+ events, 0 snapshots compared\\): no divergence`)) });
    expect((await run(runVerifyReplayCommand, [])).text).toMatch(/^verified 1 stream /);
  });

  it('finds an archived stream that lost an event', async () => {
    const [file] = (await readdir(archiveDir)).filter((name) => name.endsWith('.jsonl'));
    const lines = (await readFile(join(archiveDir, file!), 'utf8')).trim().split('\n');
    const first = JSON.parse(lines[0]!) as { head: { streamId: string }; events: unknown[] };
    first.events.splice(1, 1);
    await writeFile(join(archiveDir, file!), [JSON.stringify(first), ...lines.slice(1)].join('\n'));

    const replayed = await run(runVerifyReplayCommand, ['--archive', archiveDir]);
    expect(replayed.code).toBe(1);
    expect(replayed.text).toMatch(new RegExp(`DIVERGED ${first.head.streamId} .*the archive holds \\d+ events, not versions 1 to \\d+`));
  });
});
