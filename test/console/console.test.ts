/**
 * The console in a real browser: playwright-core driving Debian's Chromium (headless) against a
 * server with ticks. The markets table and a chart show the latest price, the as-of control shows
 * the older one, a reflex made in the editor fires on a crossing tick and its alert reaches the
 * feed, and a query shows its rows; the overview's sketches name the distinct and hottest markets
 * of a window, as of the control; with a token set, the page asks for it first. Screenshots go
 * to test-artifacts/console; GSWARM_UPDATE_SCREENSHOT=1 also refreshes docs/console.png.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
// @ts-expect-error: a plain ES module script without type declarations
import { buildConsole } from '../../scripts/build-console.mjs';
import { type Harness, ingest, startServer, tempDir, tick } from '../api/harness.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const artifacts = join(process.cwd(), 'test-artifacts', 'console');
/** A hang guard for each wait in the browser, not a measure of speed. */
const waitMs = 15_000;

async function shot(page: Page, name: string): Promise<string> {
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A minute of earlier EURUSD ticks, so the chart has a shape; all before e1 in event time. */
const history = Array.from({ length: 60 }, (_, i) =>
  tick(`h${i}`, 'EURUSD', {
    price: Math.round((10.5 + Math.sin(i / 6) + Math.sin(i / 2.3) / 3) * 1000) / 1000,
    volume: 1 + (i % 5),
    ts: 1_700_000_000_000 - (60 - i) * 1000,
  }),
);

/** Moves the as-of slider to `ms`, as a drag would: the server reads the tx at or before it. */
async function slideAsOfTo(page: Page, ms: number): Promise<void> {
  await page.locator('[data-testid=as-of-slider]').evaluate((input, value) => {
    (input as unknown as { value: string }).value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
}

/** Resolves once the wall clock has passed `ms`, so the next tx gets a later instant. */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('the web console in Chromium', () => {
  let browser: Browser;
  let consoleDir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    consoleDir = await tempDir('gswarm-console-');
    await buildConsole(consoleDir.path);
    await mkdir(artifacts, { recursive: true });
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
  });
  after(async () => {
    await browser?.close();
    await consoleDir?.remove();
  });

  async function serve(token?: string): Promise<{ h: Harness; url: string }> {
    // One queued alert at most: a burst closes the stream, and the page must resume it.
    const h = await startServer({ consoleDir: consoleDir.path, token, limits: { sseQueuedAlertsMax: 1 } });
    const url = await h.app.listen({ port: 0, host: '127.0.0.1' });
    return { h, url };
  }

  it('shows markets, charts, the past, alerts and query results', async () => {
    const { h, url } = await serve();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(waitMs);
    try {
      const first = await ingest(h.app, {
        markets: [{ id: 'EURUSD', name: 'Euro' }, { id: 'GBPUSD' }],
        ticks: [
          ...history,
          tick('e1', 'EURUSD', { price: 10, ts: 1_700_000_000_000 }),
          tick('g1', 'GBPUSD', { price: 30, ts: 1_700_000_000_000 }),
        ],
      });
      const firstTx: number = first.json().tx;
      const firstInstant = (await h.app.inject(`/v2/count/tick%2Fid?as_of=${firstTx}`)).json().basis_instant;
      await clockPast(Date.parse(firstInstant));
      await ingest(h.app, [
        tick('e2', 'EURUSD', { price: 11, ts: 1_700_000_001_000 }),
        tick('e3', 'EURUSD', { price: 12, ts: 1_700_000_002_000 }),
      ]);

      await page.goto(`${url}/#/markets`);
      const row = page.locator('[data-testid=markets-table] tr[data-market=EURUSD]');
      await row.locator('[data-testid=latest-price]').filter({ hasText: /^12$/ }).waitFor();
      assert.equal(await page.locator('[data-testid=markets-table] tbody tr').count(), 2);
      await shot(page, '1-markets');

      await row.locator('a').click();
      await page.locator('[data-testid=market-latest-price]').filter({ hasText: /^12$/ }).waitFor();
      await page.locator('[data-testid=market-chart] canvas').first().waitFor();
      const readme = await shot(page, '2-market');
      if (process.env.GSWARM_UPDATE_SCREENSHOT === '1') await copyFile(readme, join('docs', 'console.png'));

      // Back to the first tx's instant.
      await slideAsOfTo(page, Date.parse(firstInstant));
      await page.locator('[data-testid=market-latest-price]').filter({ hasText: /^10$/ }).waitFor();
      assert.match((await page.locator('[data-testid=as-of-label]').textContent()) ?? '', /as of/);
      await shot(page, '3-as-of');
      await page.locator('[data-testid=as-of-live]').click();
      await page.locator('[data-testid=market-latest-price]').filter({ hasText: /^12$/ }).waitFor();

      const editor = page.locator('[data-testid=reflex-editor]');
      await editor.locator('input[name=id]').fill('eur-high');
      await editor.locator('input[name=above]').fill('20');
      await editor.locator('button[type=submit]').click();
      await editor
        .locator('[data-testid=reflex-message]')
        .filter({ hasText: /saved in tx/ })
        .waitFor();
      await page.locator('[data-testid=market-reflexes]').getByText('eur-high').waitFor();

      await page.goto(`${url}/#/alerts`);
      await page.locator('h2 .live').waitFor();
      await ingest(h.app, [tick('e4', 'EURUSD', { price: 25, ts: 1_700_000_003_000 })]);
      const alert = page.locator('[data-testid=alerts-feed] tr[data-reflex=eur-high]');
      await alert.waitFor();
      assert.deepEqual((await alert.locator('td').allTextContents()).slice(1, 5), [
        'eur-high',
        'EURUSD',
        'e4',
        '25',
      ]);
      // Three crossings in one tx overflow the stream's queue; the feed reconnects with Last-Event-ID.
      await ingest(
        h.app,
        [10, 30, 10, 31, 10, 32].map((price, i) =>
          tick(`f${i}`, 'EURUSD', { price, ts: 1_700_000_004_000 + i }),
        ),
      );
      await page.locator('[data-testid=alerts-feed] tr[data-reflex=eur-high]').nth(3).waitFor();
      const ticks = await page
        .locator('[data-testid=alerts-feed] tbody tr td:nth-child(4)')
        .allTextContents();
      assert.deepEqual(ticks, ['f5', 'f3', 'f1', 'e4']);
      await shot(page, '4-alerts');

      await page.goto(`${url}/#/query`);
      await page.locator('[data-testid=query-text]').fill('[:find ?id :where [?m :market/id ?id]]');
      await page.locator('[data-testid=query-run]').click();
      const results = page.locator('[data-testid=query-results]');
      await results.waitFor();
      assert.deepEqual((await results.locator('td').allTextContents()).sort(), ['EURUSD', 'GBPUSD']);
      await shot(page, '5-query');
      await page
        .locator('[data-testid=query-text]')
        .fill('[:find ?id :where [?m :market/id ?id] [(nope ?id)]]');
      await page.locator('[data-testid=query-run]').click();
      await page.locator('[data-testid=query-error-clause]').filter({ hasText: 'nope' }).waitFor();
      assert.equal(await page.locator('[data-testid=cluster-panel]').count(), 0);
    } finally {
      await page.close();
      await h.close();
    }
  });

  it("shows the overview's distinct and hottest markets for a window, as of the control", async () => {
    const { h, url } = await serve();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.setDefaultTimeout(waitMs);
    const marketsOf = (by: string) =>
      page.locator(`[data-testid=hot-${by}] tbody tr td:first-child`).allTextContents();
    const estimate = page.locator('[data-testid=distinct-estimate]');
    try {
      // A minute ago: EURUSD 3 ticks (volume 3), GBPUSD 1 tick (volume 10); two hours ago: USDJPY 5 ticks.
      const recent = Date.now() - 60_000;
      const old = recent - 2 * 60 * 60_000;
      const repeat = (n: number, id: string, market: string, fields: { volume: number; ts: number }) =>
        Array.from({ length: n }, (_, i) => tick(`${id}${i}`, market, fields));
      const first = await ingest(h.app, {
        markets: ['EURUSD', 'GBPUSD', 'USDJPY', 'AUDUSD'].map((id) => ({ id })),
        ticks: [
          ...repeat(3, 'e', 'EURUSD', { volume: 1, ts: recent }),
          ...repeat(1, 'g', 'GBPUSD', { volume: 10, ts: recent }),
          ...repeat(5, 'j', 'USDJPY', { volume: 1, ts: old }),
        ],
      });
      const firstTx: number = first.json().tx;
      const firstInstant = (await h.app.inject(`/v2/count/tick%2Fid?as_of=${firstTx}`)).json().basis_instant;
      await clockPast(Date.parse(firstInstant));
      // Then AUDUSD: 4 ticks, volume 8.
      await ingest(h.app, repeat(4, 'a', 'AUDUSD', { volume: 2, ts: recent }));

      // The last hour (the default) leaves out USDJPY's old ticks; small counts are exact.
      await page.goto(`${url}/#/`);
      await estimate.filter({ hasText: /^3$/ }).waitFor();
      assert.match((await page.locator('[data-testid=sketch-distinct]').textContent()) ?? '', /≈ 3 ± 0\.024/);
      assert.deepEqual(await marketsOf('ticks'), ['AUDUSD', 'EURUSD', 'GBPUSD']);
      assert.deepEqual(await marketsOf('volume'), ['GBPUSD', 'AUDUSD', 'EURUSD']);
      assert.match(
        (await page.locator('[data-testid=hot-ticks] [data-testid=hot-bound]').textContent()) ?? '',
        /N = 8\)/,
      );
      assert.match(
        (await page.locator('[data-testid=sketch-window-covered]').textContent()) ?? '',
        /^Covers event time from /,
      );

      await page.locator('[data-testid=sketch-window]').selectOption('all');
      await estimate.filter({ hasText: /^4$/ }).waitFor();
      assert.deepEqual(await marketsOf('ticks'), ['USDJPY', 'AUDUSD', 'EURUSD', 'GBPUSD']);
      assert.deepEqual(await marketsOf('volume'), ['GBPUSD', 'AUDUSD', 'USDJPY', 'EURUSD']);
      await shot(page, '7-sketches');

      // As of the first tx: AUDUSD had not traded yet.
      await slideAsOfTo(page, Date.parse(firstInstant));
      await estimate.filter({ hasText: /^3$/ }).waitFor();
      assert.deepEqual(await marketsOf('ticks'), ['USDJPY', 'EURUSD', 'GBPUSD']);
      assert.deepEqual(await marketsOf('volume'), ['GBPUSD', 'USDJPY', 'EURUSD']);
      assert.match(
        (await page.locator('[data-testid=sketch-window-covered]').textContent()) ?? '',
        new RegExp(`^Covers every event time, ticks committed by tx ${firstTx}\\.$`),
      );
      await page.locator('[data-testid=sketch-window]').selectOption('5m');
      await estimate.filter({ hasText: /^2$/ }).waitFor();
      assert.deepEqual(await marketsOf('ticks'), ['EURUSD', 'GBPUSD']);
    } finally {
      await page.close();
      await h.close();
    }
  });

  it('asks for the token when the server requires one, and keeps it for the session', async () => {
    const { h, url } = await serve('s3cret');
    const page = await browser.newPage();
    page.setDefaultTimeout(waitMs);
    try {
      await ingest(
        h.app,
        { markets: [{ id: 'M' }], ticks: [tick('m1', 'M', { price: 7 })] },
        { authorization: 'Bearer s3cret' },
      );
      await page.goto(`${url}/#/markets`);
      await page.locator('[data-testid=login-token]').fill('wrong');
      await page.locator('[data-testid=login-token]').press('Enter');
      await page.getByText('That token was refused.').waitFor();
      await page.locator('[data-testid=login-token]').fill('s3cret');
      await page.locator('[data-testid=login-token]').press('Enter');
      await page.locator('[data-testid=latest-price]').filter({ hasText: /^7$/ }).waitFor();
      assert.equal(await page.evaluate("sessionStorage.getItem('gswarm-token')"), 's3cret');
      await shot(page, '6-login');
    } finally {
      await page.close();
      await h.close();
    }
  });
});
