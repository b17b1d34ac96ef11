import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatechartLayout } from '../../api/machines/statechartLayout.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { openBrowser, type Browser } from '../support/browser.ts';
import { tempDataDir } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, shippingAddress, type PlaceOrderBody } from '../support/orderRequests.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';
import { productionEnv } from '../support/productionEnv.ts';

/** Screenshots land here (git-ignored); with XSAGA_UPDATE_SCREENSHOT=1 the README's one is replaced too. */
const ARTIFACTS = 'test-artifacts';
const README_SCREENSHOT = 'docs/dashboard.png';

// Sagas in several states: payments that never answer stay in payment.capturing (the deadline is long).
const ORDERS: readonly { name: string; body: () => PlaceOrderBody }[] = [
  { name: 'good-1', body: () => placeOrderBody() },
  { name: 'good-2', body: () => placeOrderBody() },
  { name: 'declined', body: () => placeOrderBody({ paymentToken: 'tok_declined' }) },
  { name: 'soldout', body: () => placeOrderBody({ items: [{ sku: 'SKU-SOLDOUT', quantity: 1, unitPrice: 700 }] }) },
  { name: 'undeliverable', body: () => placeOrderBody({ shippingAddress: shippingAddress({ country: 'ZZ' }) }) },
  { name: 'waiting-1', body: () => placeOrderBody({ paymentToken: 'tok_no_answer' }) },
  { name: 'waiting-2', body: () => placeOrderBody({ paymentToken: 'tok_no_answer' }) },
];
const EXPECTED_COUNTS: Record<string, number> = { completed: 2, failed: 3, 'payment.capturing': 2 };

// The undeliverable order went forward, then was compensated in reverse.
const UNDELIVERABLE_PATH =
  'payment.capturing → inventory.reserving → shipping.creating → compensating.releasingStock.releasing → compensating.refundingPayment.refunding → failed';
const UNDELIVERABLE_STATES = [
  'payment',
  'payment.capturing',
  'inventory',
  'inventory.reserving',
  'shipping',
  'shipping.creating',
  'compensating',
  'compensating.releasingStock',
  'compensating.releasingStock.releasing',
  'compensating.refundingPayment',
  'compensating.refundingPayment.refunding',
  'failed',
];
// New orders run on v2, whose first PaymentCaptured transition (index 0) goes to the fraud review above its threshold.
const UNDELIVERABLE_TRANSITIONS = [
  'orderSaga.payment#PaymentCaptured#1',
  'orderSaga.inventory#StockReserved#0',
  'orderSaga.shipping.creating#ShipmentFailed#1',
  'orderSaga.compensating.releasingStock#StockReleased#0',
  'orderSaga.compensating.refundingPayment#PaymentRefunded#0',
];
const COMPENSATION_STATES = ['releasingStock', 'refundingPayment'].flatMap((step) =>
  [step, `${step}.backingOff`, `${step}.parked`, `${step}.${step === 'releasingStock' ? 'releasing' : 'refunding'}`].map((name) => `compensating.${name}`),
);

/** A started system: its URL, and the API key the dashboard signs in with. */
type Started = { url: string; key: string; process: RunningProcess; cleanup: () => Promise<void> };
type Mode = Readonly<{ name: 'embedded' | 'production'; start: () => Promise<Started> }>;

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
const COMMON_ENV = { PORT: '0', XSAGA_PAYMENT_TIMEOUT_MS: '600000' };

const MODES: readonly Mode[] = [
  {
    name: 'embedded',
    async start() {
      const data = await tempDataDir();
      const started = await startNodeProcess(['app/main.ts', 'start'], { env: { ...COMMON_ENV, XSAGA_DATA_DIR: data.dir }, ready: READY });
      // No key configured: the operator key it made before it listened.
      const key = (await readFile(join(data.dir, 'operator.key'), 'utf8')).trim();
      return { url: started.match[1]!, key, process: started, cleanup: data.remove };
    },
  },
  {
    name: 'production',
    async start() {
      const production = await productionEnv('ui');
      // The dashboard only reads: a viewer key is enough.
      const viewer = testApiKey('viewer');
      const started = await startNodeProcess(['app/main.ts', 'start'], {
        env: { ...COMMON_ENV, ...production.env, ...apiKeysEnv(viewer), XSAGA_PARTITIONS: '2' },
        ready: /xsaga ready/,
        timeoutMs: 90_000,
      }).catch(async (error: unknown) => {
        await production.dispose();
        throw error;
      });
      const url = started.output().match(READY)![1]!;
      return {
        url,
        key: viewer.key,
        process: started,
        cleanup: production.dispose,
      };
    },
  },
];

async function postOrder(url: string, body: PlaceOrderBody): Promise<string> {
  const response = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { orderId: string }).orderId;
}

const countOf = (page: Page, state: string) => page.locator(`g.state[data-state="${state}"]`).getAttribute('data-count');
const attributes = (page: Page, selector: string, name: string) => page.locator(selector).evaluateAll((nodes, n) => nodes.map((node) => node.getAttribute(n)), name);

describe.each(MODES)('the dashboard in a real browser, $name mode', (mode) => {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<Mode['start']>> | undefined;
  afterAll(async () => {
    await browser?.close();
    await server?.process.stop('SIGTERM');
    await server?.cleanup();
  });

  it('signs in, draws every state and transition with live counts, lists and searches a state, and highlights one saga', { timeout: 300_000 }, async () => {
    server = await mode.start();
    const { url } = server;
    const headers = { authorization: `Bearer ${server.key}` };
    const ids = new Map<string, string>();
    const bodies = new Map<string, PlaceOrderBody>();
    for (const order of ORDERS) {
      const body = order.body();
      bodies.set(order.name, body);
      ids.set(order.name, await postOrder(url, body));
    }
    await eventually(
      async () => {
        const stats = (await (await fetch(`${url}/stats/orders`, { headers })).json()) as { byState: Record<string, number> };
        expect(stats.byState).toEqual(EXPECTED_COUNTS);
      },
      // Production mode's consumer groups may take a while to settle on a machine busy with other work.
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    const layout = (await (await fetch(`${url}/machines/orderSaga/layout`, { headers })).json()) as StatechartLayout;

    browser = await openBrowser();
    const { page } = browser;
    await mkdir(ARTIFACTS, { recursive: true });
    await page.goto(`${url}/ui/?refresh=500&pageSize=2`);

    // The page asks for a key first; a wrong one is refused and asked for again.
    await page.getByTestId('sign-in').waitFor();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    await page.getByTestId('api-key').fill(`${server.key}-wrong`);
    await page.getByTestId('sign-in-submit').click();
    await expect.poll(() => page.getByTestId('sign-in-error').textContent()).toMatch(/not accepted/);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-${mode.name}-sign-in.png` });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.getByTestId('api-key').fill(server.key);
    await page.getByTestId('sign-in-submit').click();
    await page.locator('body[data-ready="true"]').waitFor();
    expect(await page.getByTestId('sign-in').isHidden()).toBe(true);

    // Every state and every transition of the definition is on the chart; compensations stand apart.
    const drawnStates = await attributes(page, 'g.state', 'data-state');
    expect(drawnStates.sort()).toEqual(layout.states.filter((s) => s.parent !== null).map((s) => s.name).sort());
    const drawnTransitions = await attributes(page, 'path.edge[data-transition]', 'data-transition');
    expect(new Set(drawnTransitions)).toEqual(new Set(layout.transitions.map((t) => t.id)));
    expect((await attributes(page, 'g.state.compensation', 'data-state')).sort()).toEqual(['compensating', ...COMPENSATION_STATES].sort());
    // Where a saga waits for a human stands out like a failure.
    expect((await attributes(page, 'g.state.attention', 'data-state')).sort()).toEqual(['compensating.refundingPayment.parked', 'compensating.releasingStock.parked']);
    const compensations = layout.transitions.filter((t) => t.kind === 'compensation').map((t) => t.id);
    expect(compensations.length).toBeGreaterThanOrEqual(5);
    expect((await attributes(page, 'path.edge.kind-compensation', 'data-transition')).sort()).toEqual(compensations.sort());

    // Counts per state from the read model; a compound state sums its children.
    await eventually(async () => {
      for (const state of drawnStates) expect(await countOf(page, state!), state!).toBe(String(EXPECTED_COUNTS[state!] ?? (state === 'payment' ? 2 : 0)));
    });
    await expect.poll(() => page.locator('g.state[data-state="completed"] .state-count').textContent()).toMatch(/^2 · oldest \d+s$/);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-${mode.name}-overview.png`, fullPage: true });

    // Click a state: its sagas, paged and searchable.
    await page.locator('g.state[data-state="failed"]').click();
    await expect.poll(() => page.locator('#list-title').textContent()).toBe('Sagas in failed');
    await expect.poll(() => page.getByTestId('page').textContent()).toBe('1–2 of 3');
    expect(await page.locator('tr[data-saga-id]').count()).toBe(2);
    await page.locator('#next').click();
    await expect.poll(() => page.getByTestId('page').textContent()).toBe('3–3 of 3');
    await page.getByTestId('search').fill(bodies.get('undeliverable')!.customerId);
    await expect.poll(() => attributes(page, 'tr[data-saga-id]', 'data-saga-id')).toEqual([ids.get('undeliverable')]);
    await expect.poll(() => page.getByTestId('page').textContent()).toBe('1–1 of 1');

    // Click a saga: its path through the chart, and its history with commands and replies.
    await page.locator(`tr[data-saga-id="${ids.get('undeliverable')}"]`).click();
    await expect.poll(() => page.getByTestId('saga-path').textContent()).toBe(UNDELIVERABLE_PATH);
    expect(await page.locator('svg[data-testid="statechart"]').getAttribute('class')).toContain('tracing');
    expect((await attributes(page, 'g.state.on-path', 'data-state')).sort()).toEqual([...UNDELIVERABLE_STATES].sort());
    expect((await attributes(page, 'path.edge.on-path[data-transition]', 'data-transition')).sort()).toEqual([...UNDELIVERABLE_TRANSITIONS].sort());
    expect(await attributes(page, 'g.state.current', 'data-state')).toEqual(['failed']);
    expect(await attributes(page, '[data-testid="timeline"] > li', 'data-event')).toEqual([
      'OrderPlaced',
      'PaymentCaptured',
      'StockReserved',
      'ShipmentFailed',
      'StockReleased',
      'PaymentRefunded',
    ]);
    const commands = await page.locator('[data-testid="timeline"] .commands li').allTextContents();
    expect(commands).toEqual(['→ CapturePayment', '→ ReserveStock', '→ CreateShipment', '→ ReleaseStock', '→ RefundPayment']);
    const times = await attributes(page, '[data-testid="timeline"] time', 'datetime');
    expect(times.every((time) => !Number.isNaN(Date.parse(time!)))).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-${mode.name}-saga.png`, fullPage: true });

    // It refreshes by itself: a new saga shows up in the counts without a reload.
    await postOrder(url, placeOrderBody());
    await expect.poll(() => countOf(page, 'completed'), { timeout: 15_000 }).toBe('3');

    // The view the README shows: the chart with counts, the failed sagas, one saga's path and history.
    await page.goto(`${url}/ui/?refresh=0#machine=orderSaga&state=failed&saga=${ids.get('undeliverable')}`);
    await expect.poll(() => page.getByTestId('saga-path').textContent()).toBe(UNDELIVERABLE_PATH);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-${mode.name}.png`, fullPage: true });
    if (mode.name === 'embedded' && process.env.XSAGA_UPDATE_SCREENSHOT === '1') await copyFile(`${ARTIFACTS}/dashboard-${mode.name}.png`, README_SCREENSHOT);

    // An operator acts from the saga's panel, with a confirmation: a payment that never answers is
    // cancelled. The production page signed in with a viewer's key: the same click is refused.
    const waiting = ids.get('waiting-2')!;
    await page.goto(`${url}/ui/?refresh=500#machine=orderSaga&saga=${waiting}`);
    const cancel = page.getByTestId('saga-actions').locator('button[data-action="cancel"]');
    await cancel.waitFor();
    page.once('dialog', (dialog) => void dialog.accept('the customer called'));
    await cancel.click();
    if (mode.name === 'embedded') {
      await expect.poll(() => page.getByTestId('saga-state').textContent(), { timeout: 30_000 }).toBe('failed');
      expect(await (await fetch(`${url}/orders/${waiting}`)).json()).toMatchObject({ status: 'FAILED', failureReason: 'CANCELLED' });
    } else {
      await expect.poll(() => page.getByTestId('saga-action-result').textContent()).toMatch(/^cancel refused: /);
      expect(await (await fetch(`${url}/orders/${waiting}`)).json()).toMatchObject({ status: 'PENDING', state: 'payment.capturing' });
    }

    // Signing out forgets the key: the next visit asks again.
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in').waitFor();
    await page.goto(`${url}/ui/?refresh=0`);
    await page.getByTestId('sign-in').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    // The page loads nothing from outside the server, and logs no error but the refused key's 401 (and the viewer's 403).
    expect(browser.requests.filter((request) => !request.startsWith(url) && !request.startsWith('data:'))).toEqual([]);
    expect(browser.errors.filter((error) => !/status of 40[13]/.test(error))).toEqual([]);
  });
});
