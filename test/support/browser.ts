import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian's package puts Chromium; scripts/install-chromium.sh installs it (test/browserSetup.ts runs it). */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM = process.env.XSAGA_TEST_CHROMIUM ?? DEBIAN_CHROMIUM;

/** Headless, and nothing that would reach outside this machine: the sandbox has no internet. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

export type Browser = Readonly<{
  page: Page;
  context: BrowserContext;
  /** Every URL the page requested, and every error it logged or threw. */
  requests: string[];
  errors: string[];
  close(): Promise<void>;
}>;

/** Launches Chromium on a fresh profile directory that `close` deletes. */
export async function openBrowser(options: { width?: number; height?: number; timeoutMs?: number } = {}): Promise<Browser> {
  await access(CHROMIUM).catch(() => {
    throw new Error(`${CHROMIUM} is missing: run \`sudo bash scripts/install-chromium.sh\` (npm test runs it when it may install packages)`);
  });
  const profile = await mkdtemp(join(tmpdir(), 'xsaga-chromium-'));
  let context: BrowserContext;
  try {
    // A persistent context is how Playwright takes a --user-data-dir of our choosing.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
      timeout: options.timeoutMs ?? 30_000,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(options.timeoutMs ?? 10_000);
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return {
    page,
    context,
    requests,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
