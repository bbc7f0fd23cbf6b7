// The console in a real browser (Debian's chromium, headless, driven by
// playwright-core) against a real missionlogd holding the demo data
// (tests/console/console_test.sh starts both). Every page is checked with
// axe for serious or critical accessibility problems and photographed
// into $SCREENSHOTS for review.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const require = createRequire(process.env.NPM_DIR + '/package.json');
const { chromium } = require('playwright-core');
const { default: AxeBuilder } = require('@axe-core/playwright');

const base = process.env.MISSIONLOG_URL;
const key = process.env.MISSIONLOG_KEY;
const screenshots = process.env.SCREENSHOTS;
mkdirSync(screenshots, { recursive: true });

let browser;
let context;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
});

async function api(call, body) {
  const response = await fetch(`${base}/api/v1/${call}`, { method: 'POST', body: JSON.stringify(body) });
  const text = await response.text();
  assert.equal(response.status, 200, `${call}: ${text}`);
  return JSON.parse(text);
}

// Opens a console page and waits until it has rendered.
async function open(page, hash) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${base}/#${hash}`);
  await page.waitForSelector('#page[aria-busy="false"]');
  assert.deepEqual(errors, [], 'no script errors');
}

async function accessible(page, name) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), [], `${name}: accessibility`);
  await page.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true });
}

test('the Prime Minister on 24 and 25 October 2022', async () => {
  const page = await context.newPage();
  await open(page, '/government?date=2022-10-24&post=Prime+Minister');
  const pm = page.locator('tr[data-post="Prime Minister"]');
  assert.match(await pm.first().innerText(), /Liz Truss/);
  await accessible(page, 'government-2022-10-24');
  await open(page, '/government?date=2022-10-25&post=Prime+Minister');
  assert.match(await page.locator('tr[data-post="Prime Minister"]').first().innerText(), /Rishi Sunak/);
  const all = await page.locator('tr[data-post="Prime Minister"]').allInnerTexts();
  assert.ok(!all.some((text) => /Liz Truss/.test(text)), 'Liz Truss no longer holds it');
  // His page lists the posts he held: Prime Minister from 25 October 2022
  // to 5 July 2024 among them.
  await page.locator('tr[data-post="Prime Minister"] a[href^="#/person"]').first().click();
  await page.waitForSelector('#page[data-page="/person"][aria-busy="false"]');
  assert.ok(await page.locator('#posts-chart rect.ml-interval').count() > 0);
  assert.match(await page.locator('tr[data-post="Prime Minister"]').first().innerText(), /2022-10-25\s+2024-07-05/);
  await open(page, '/government?date=2022-10-25&post=Prime+Minister');
  // Each row links the events behind it.
  assert.ok(await page.locator('tr[data-post="Prime Minister"] a[href^="#/subject?stream=ifg%2Fappointment"]').count() > 0);
  await page.close();
});

test('the NHS mission page: ownership timeline and spending by month', async () => {
  const page = await context.newPage();
  await open(page, '/mission?stream=dhsc/mission/nhs');
  const history = await api('Inquiry/OwnershipHistory', { subject: 'dhsc/mission/nhs' });
  const spending = await api('Inquiry/Spending', { mission: 'dhsc/mission/nhs' });
  assert.ok(history.intervals.length > 0);
  assert.equal(await page.locator('#ownership-chart rect.ml-interval').count(), history.intervals.length);
  const months = spending.rows.filter((r) => r.month);
  assert.ok(months.length > 0);
  assert.equal(await page.locator('#spending-chart g.ml-month').count(), months.length);
  for (const month of months) {
    for (const kind of ['allocated', 'committed', 'incurred']) {
      const bar = page.locator(`#spending-chart g.ml-month[data-month="${month.month}"] rect[data-kind="${kind}"]`);
      assert.equal(await bar.getAttribute('data-amount'), String(month[kind] || 0), `${month.month} ${kind}`);
    }
  }
  const totals = page.locator('#spending-totals');
  const sum = (kind) => months.reduce((n, r) => n + Number(r[kind] || 0), 0);
  assert.equal(Number(await totals.getAttribute('data-allocated')), sum('allocated'));
  assert.equal(Number(await totals.getAttribute('data-incurred')), sum('incurred'));
  await accessible(page, 'mission-nhs');
  await page.close();
});

test("the demo's other questions, by clicking", async () => {
  const page = await context.newPage();
  // The Treasury's payments in 2023-24: twelve months and their total.
  await open(page, '/spending?organisation=hmt&fiscal_year=2023-24');
  const spending = await api('Inquiry/Spending', { organisation: 'hmt', fiscal_year: '2023-24' });
  const months = spending.rows.filter((r) => r.month);
  assert.equal(months.length, 12);
  assert.equal(await page.locator('#spending-chart g.ml-month').count(), 12);
  const total = spending.rows.find((r) => !r.month);
  assert.match(await page.locator('tr[data-total="2023-24"]').innerText(),
    new RegExp((Number(total.incurred) / 100).toLocaleString('en-GB', { minimumFractionDigits: 2 }).replace(/[.,]/g, '\\$&')));
  // Concerns overdue on 1 April 2025 are flagged.
  await open(page, '/concerns?overdue_on=2025-04-01');
  const concerns = await api('Inquiry/Concerns', { overdue_on: { year: 2025, month: 4, day: 1 } });
  assert.equal(await page.locator('tr[data-overdue="true"]').count(), concerns.concerns.length);
  // The NHS mission's owner is labelled with the post's name.
  await open(page, '/mission?stream=dhsc/mission/nhs');
  assert.match(await page.locator('#ownership-chart title').first().textContent(), /Secretary of State/);
  await page.close();
});

test('a proof checked in the browser turns green, and red when one byte changes', async () => {
  const page = await context.newPage();
  const position = 1234;
  const hash = `/audit?position=${position}&key=${encodeURIComponent(key)}`;
  await open(page, hash);
  assert.equal(await page.locator('#signature-result').getAttribute('data-result'), 'ok',
    await page.locator('#signature-result').innerText());
  assert.equal(await page.locator('#proof-result').getAttribute('data-result'), 'ok',
    await page.locator('#proof-result').innerText());
  await accessible(page, 'audit-proof-ok');

  // The same proof with one byte of its first hash altered on the way.
  await page.route('**/api/v1/Audit/GetInclusionProof', async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    const first = Buffer.from(json.hashes[0], 'base64');
    first[0] ^= 0x01;
    json.hashes[0] = first.toString('base64');
    await route.fulfill({ response, json });
  });
  await page.evaluate(() => { location.hash = location.hash + '&again=1'; });
  await page.waitForFunction(() => document.getElementById('proof-result')?.dataset.result === 'failed');
  assert.match(await page.locator('#proof-result').innerText(), /does not lead to the checkpoint's root/);
  await page.screenshot({ path: `${screenshots}/audit-proof-altered.png`, fullPage: true });

  // A wrong key is named as such.
  await page.unroute('**/api/v1/Audit/GetInclusionProof');
  await open(page, '/audit?key=' + encodeURIComponent('someone+00000000+AQ' + 'A'.repeat(42) + '='));
  assert.equal(await page.locator('#signature-result').getAttribute('data-result'), 'failed');
  await page.close();
});

test('a <script> title renders as inert text', async () => {
  const page = await context.newPage();
  await open(page, '/search?stream_prefix=test/xss/');
  const cell = page.locator('table.govuk-table tbody tr').first();
  assert.match(await cell.innerText(), /<script>window\.__pwned=1<\/script>/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('#page script').count(), 0);
  await accessible(page, 'search-script-title');
  await page.close();
});

test('every page is accessible', async () => {
  const page = await context.newPage();
  for (const [name, hash] of [
    ['home', '/'],
    ['as-of', '/government?date=2022-10-24&post=Prime+Minister&as_of=5000'],
    ['subject-timeline', '/subject?stream=dhsc/mission/nhs'],
    ['search', '/search?stream_prefix=dhsc/'],
    ['spending-hmt-2023-24', '/spending?organisation=hmt&fiscal_year=2023-24'],
    ['concerns-overdue', '/concerns?overdue_on=2025-04-01'],
    ['person', '/person?stream=ifg/person/0f897c1f-992b-4d1d-8060-18a52d0cd6ba'],
    ['event', '/event?position=20'],
    ['audit', '/audit'],
    ['live', '/live'],
  ]) {
    await open(page, hash);
    await accessible(page, name);
  }
  // The as-of page says which position it shows.
  await open(page, '/government?date=2022-10-24&as_of=5000');
  assert.match(await page.locator('#as-of-banner').innerText(), /held 5000 events/);
  await page.close();
});
