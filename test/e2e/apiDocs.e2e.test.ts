import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { openBrowser, type Browser } from '../support/browser.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';

/** The reference docs at /docs in a real browser: drawn from /openapi.json, on a machine without internet. */
let system: System;
let url: string;
let browser: Browser;

beforeAll(async () => {
  system = await startEmbedded(apiKeysEnv(testApiKey('operator')));
  url = await system.listen(0);
  browser = await openBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('the API reference docs', () => {
  it('show every operation of the document, loading nothing from outside the server, without a key', async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary: string }>> };
    await browser.page.goto(`${url}/docs`);
    await browser.page.getByText('Place an order', { exact: true }).waitFor({ timeout: 20_000 });
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) expect(await browser.page.getByText(operation.summary, { exact: true }).count(), operation.summary).toBeGreaterThan(0);
    }
    expect(browser.requests.filter((request) => !request.startsWith(`${url}/`))).toEqual([]);
    expect(browser.requests).toContain(`${url}/openapi.json`);
    // A request the policy refused, a script that failed: both would be here.
    expect(browser.errors).toEqual([]);
  });
});
