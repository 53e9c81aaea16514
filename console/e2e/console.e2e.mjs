// End-to-end tests of the web console: Debian's Chromium, driven by
// playwright-core, against a real billingd with demo data and the fake Stripe
// (see billingd.mjs).
// Screenshots of every page go to MTL_E2E_SCREENSHOTS (default build/e2e-screenshots).
//
//   node --test e2e/console.e2e.mjs        (after npm run build and building billingd)
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, request } from 'playwright-core';
import { DEMO_PASSWORD, startBillingd } from './billingd.mjs';
import { axeViolations, layoutReport } from './checks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const BILLINGD = process.env.MTL_BILLINGD ?? path.join(repo, 'build/src/billingd');
const CONSOLE_DIR = path.resolve(process.env.CONSOLE_DIR ?? path.join(here, '../dist'));
const SHOTS = path.resolve(process.env.MTL_E2E_SCREENSHOTS ?? path.join(repo, 'build/e2e-screenshots'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FAKE_STRIPE = process.env.MTL_FAKE_STRIPE ?? path.join(repo, 'tests/fakes/fake_stripe.py');

const ADMIN = 'admin@meterline.demo';
const MEMBER = 'member@bright.demo'; // Growth plan, around 82 % of its limits this period
const OTHER_MEMBER = 'member@acme.demo';
const USERS_MEMBER = 'member@cobalt.demo'; // disabled and enabled again by the Users test
// Changes plan in the Plan page's tests (the last on this server); no other test reads its usage or invoices.
const PLAN_MEMBER = 'member@cobalt.demo';

// The colours of the usage bars (styles.css: --ok-fill, --warn-fill, --danger-fill).
const LEVEL_COLOURS = { ok: 'rgb(34, 160, 90)', warning: 'rgb(230, 178, 10)', critical: 'rgb(220, 59, 50)' };

/** The band a usage falls in: below 75 % green, 75-90 % yellow, above 90 % red (exact integers). */
function expectedLevel(usage, limit) {
  const used = BigInt(usage) * 100n;
  const cap = BigInt(limit);
  if (used > cap * 90n) return 'critical';
  if (used >= cap * 75n) return 'warning';
  return 'ok';
}

function money({ minor, currency }) {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  const negative = minor < 0;
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const decimal = `${negative ? '-' : ''}${text.slice(0, text.length - digits)}.${text.slice(text.length - digits)}`;
  // The console writes the typographic minus (U+2212).
  return new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: digits })
    .format(decimal)
    .replace('-', '\u2212');
}

let server;
let context;
let page;
let userDataDir;

async function shot(name) {
  // Full-page shots from the top, so sticky parts sit where a reader sees them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function api(pathname) {
  const response = await context.request.get(pathname);
  assert.equal(response.status(), 200, `GET ${pathname}: ${response.status()} ${await response.text()}`);
  return response.json();
}

/** The session's CSRF token (the double-submit cookie), for a POST sent from the test itself. */
async function csrfToken() {
  const cookie = (await context.cookies()).find((c) => c.name === 'mtl_csrf');
  assert.ok(cookie, 'a signed-in session has its CSRF cookie');
  return cookie.value;
}

async function login(email) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

async function logout() {
  // On a phone the button is in the menu.
  const menu = page.getByRole('button', { name: 'Open menu' });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/login');
}

async function waitForMeters() {
  await page.locator('.meter').first().waitFor();
  await page.getByRole('table').first().waitFor();
}

/** The period has two days of demo usage, enough for the demo's targets to hold. */
function settled(usage) {
  return Date.now() - Date.parse(usage.period.start) >= 2 * 86_400_000;
}

/** Checks every usage bar against the API's numbers: level, colour, width. */
async function checkMeters(usage) {
  const meters = page.locator('.meter');
  assert.equal(await meters.count(), usage.metrics.length);
  const levels = [];
  for (const metric of usage.metrics) {
    const meter = page.locator(`.meter[data-metric="${metric.metric}"]`);
    const level = expectedLevel(metric.usage, metric.limit);
    levels.push(level);
    assert.equal(await meter.getAttribute('data-level'), level, `${metric.metric}: ${metric.usage} of ${metric.limit}`);
    const fill = meter.locator('.meter-fill');
    const colour = await fill.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(colour, LEVEL_COLOURS[level], `${metric.metric} bar colour`);
    const bar = meter.getByRole('progressbar');
    assert.equal(Number(await bar.getAttribute('aria-valuenow')), Math.round(Math.min(100, metric.percent)));
  }
  return levels;
}

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  // Members may change and cancel their own plan (the Plan page's tests).
  server = await startBillingd({
    billingd: BILLINGD,
    consoleDir: CONSOLE_DIR,
    fakeStripe: FAKE_STRIPE,
    env: { SELF_SERVICE_PLAN_CHANGES: 'true' },
  });
  userDataDir = await mkdtemp(path.join(tmpdir(), 'mtl-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    acceptDownloads: true,
    baseURL: server.baseUrl,
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error('page error:', error));
});

after(async () => {
  await context?.close();
  // billingd's log next to the screenshots, for when a test fails.
  if (server) await writeFile(path.join(SHOTS, 'billingd.log'), server.log.join('\n') + '\n');
  await server?.stop();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe('console', () => {
  test('unknown client routes get the app; the login page is keyboard reachable', async () => {
    await page.goto('/billing/usage');
    await page.waitForURL((url) => url.pathname === '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/billing/usage');

    // The email field has focus; Tab goes to the password, then to the button, with a visible focus ring.
    await page.getByLabel('Email').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'email');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const style = el ? getComputedStyle(el) : null;
      return { text: el?.textContent?.trim(), outline: style?.outlineStyle, width: style?.outlineWidth };
    });
    assert.equal(focused.text, 'Sign in');
    assert.notEqual(focused.outline, 'none');
    assert.notEqual(focused.width, '0px');

    await page.getByLabel('Email').fill(MEMBER);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
    await shot('01-login-error');
  });

  test('a member sees usage bars in the right colours, the overage and the daily chart', async () => {
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/usage');
    await waitForMeters();

    // Navigation: Billing with its credit-card icon; no admin items for a member.
    const billing = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' });
    assert.equal(await billing.locator('svg.lucide-credit-card').count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Reconciliation' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Customers' }).count(), 0);
    // Flags that are off have no items.
    const features = await api('/api/v1/meta/features');
    assert.equal(features.transparency, false);
    assert.equal(await page.getByRole('link', { name: 'Transparency' }).count(), 0);
    assert.ok(await page.getByText(MEMBER).first().isVisible());

    const usage = await api('/api/v1/billing/usage/current');
    const levels = await checkMeters(usage);
    // Bright Media runs at about 82 % this period: its bars are not green
    // (once the period has a few days of demo usage; in its first hours the
    // demo's hourly noise, or no usage at all, decides).
    if (settled(usage)) assert.ok(!levels.includes('ok'), `levels ${levels}`);

    // Overage per metric and in total, as the API computed it.
    const table = page.getByTestId('overage-table');
    for (const metric of usage.metrics) {
      const row = table.locator(`tr[data-metric="${metric.metric}"]`);
      assert.equal((await row.locator('td').last().textContent()).trim(), money(metric.overage_amount));
      // How the plan prices it, in the API's words.
      assert.equal(`${metric.name}: ${(await row.getByTestId('metric-pricing').textContent()).trim()}`, metric.pricing);
    }
    assert.equal((await page.getByTestId('total-overage').textContent()).trim(), money(usage.total_overage));

    // The chart: one point per day so far, and the limit line.
    const chart = page.locator('figure.chart svg');
    await chart.waitFor();
    assert.equal(await chart.getAttribute('data-mode'), 'cumulative');
    assert.ok((await page.getByTestId('chart-limit').textContent()).startsWith('Limit'));
    const days = Math.floor((Date.now() - Date.parse(usage.period.start)) / 86_400_000) + 1;
    assert.equal(await chart.locator('.chart-area circle').count(), days);
    await page.getByRole('button', { name: 'Per day' }).click();
    assert.equal(await chart.locator('.chart-bars rect').count(), days);
    assert.ok((await page.getByTestId('chart-limit').textContent()).startsWith('Even pace'));
    await page.getByRole('button', { name: 'Running total' }).click();
    await shot('02-usage-member-desktop');

    // The period's events, newest first, as the API lists them; Older and Newer page by cursor.
    const eventsQuery = `/api/v1/billing/usage/events?from=${encodeURIComponent(usage.period.start)}&limit=20`;
    const firstEvents = await api(eventsQuery);
    const rowIds = () =>
      page.locator('[data-testid="events-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.event));
    const ids = (list) => list.data.map((e) => e.id);
    if (firstEvents.data.length === 0) {
      await page.getByText('No events this period yet').waitFor();
    } else {
      await page.getByTestId('events-table').waitFor();
      assert.deepEqual(await rowIds(), ids(firstEvents));
      // Counted units show the exact value (bytes are shown in GB/MB, as elsewhere).
      for (const event of firstEvents.data) {
        const unit = usage.metrics.find((m) => m.metric === event.metric)?.unit;
        if (unit === 'byte') continue;
        const cell = page.locator(`[data-testid="events-table"] tr[data-event="${event.id}"] td.num`);
        assert.ok((await cell.textContent()).trim().startsWith(event.value.toLocaleString('en-US') + ' '), event.id);
      }
      if (firstEvents.has_more) {
        const last = firstEvents.data.at(-1).id;
        const older = await api(`${eventsQuery}&starting_after=${encodeURIComponent(last)}`);
        await page.getByRole('navigation', { name: 'Event pages' }).getByRole('button', { name: 'Older' }).click();
        await page.locator(`[data-testid="events-table"] tr[data-event="${older.data[0].id}"]`).waitFor();
        assert.deepEqual(await rowIds(), ids(older));
        await page.getByRole('navigation', { name: 'Event pages' }).getByRole('button', { name: 'Newer' }).click();
        await page.locator(`[data-testid="events-table"] tr[data-event="${firstEvents.data[0].id}"]`).waitFor();
        assert.deepEqual(await rowIds(), ids(firstEvents));
      }
    }

    // Responsive grid: three columns on a desktop, two on a tablet, one on a phone.
    const columns = async () =>
      new Set(
        await page.locator('.meter').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().left))),
      ).size;
    assert.equal(await columns(), 3);
    await page.setViewportSize({ width: 800, height: 1000 });
    assert.equal(await columns(), 2);
    await shot('03-usage-tablet');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await columns(), 1);
    await shot('04-usage-phone');
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).waitFor();
    await shot('05-phone-menu');
    await page.getByRole('button', { name: 'Close menu' }).click();
    // Going to another page closes the menu.
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('link', { name: 'Invoices' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/invoices');
    await page.getByRole('button', { name: 'Open menu' }).waitFor();
    await page.goBack();
    await page.waitForURL((url) => url.pathname === '/billing/usage');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test('a member filters invoices; the filters live in the URL and survive a reload', async () => {
    await page.getByRole('link', { name: 'Invoices' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/invoices');
    const rows = page.getByTestId('invoice-table').locator('tbody tr');
    await rows.first().waitFor();
    const all = await api('/api/v1/billing/invoices?limit=100');
    assert.equal(await rows.count(), Math.min(all.total, 10));
    assert.match(await page.getByTestId('page-info').textContent(), new RegExp(`of ${all.total}\\b`));

    await page.getByLabel('Status').selectOption('paid');
    await page.waitForURL((url) => url.searchParams.get('status') === 'paid');
    const paid = await api('/api/v1/billing/invoices?status=paid&limit=100');
    assert.ok(paid.total > 0, 'the demo member has paid invoices');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=invoice-table] tbody tr').length === n,
      paid.total,
    );
    for (const status of await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-status'))))
      assert.equal(status, 'paid');
    for (const badge of await rows.locator('.badge').allTextContents()) assert.equal(badge, 'Paid');

    // Issued-from date: only invoices issued on or after the newest paid one's day.
    const newest = paid.data[0];
    const fromDay = newest.created_at.slice(0, 10);
    await page.getByLabel('Issued from').fill(fromDay);
    await page.waitForURL((url) => url.searchParams.get('from') === fromDay);
    const since = await api(`/api/v1/billing/invoices?status=paid&from=${fromDay}&limit=100`);
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=invoice-table] tbody tr').length === n,
      since.total,
    );
    assert.equal(await rows.first().getAttribute('data-invoice'), newest.id);

    // A date range that matches nothing shows the empty state.
    await page.getByLabel('Issued to').fill('2001-01-31');
    await page.getByRole('alert').filter({ hasText: 'The start date is after the end date.' }).waitFor();
    await page.getByLabel('Issued from').fill('2001-01-01');
    await page.getByRole('heading', { name: 'No invoices match these filters' }).waitFor();
    await shot('06-invoices-empty');

    await page.getByLabel('Issued to').fill('');
    await page.getByLabel('Issued from').fill(fromDay);
    await page.waitForURL((url) => url.searchParams.get('from') === fromDay && !url.searchParams.has('to'));
    await page.reload();
    await rows.first().waitFor();
    assert.equal(await page.getByLabel('Status').inputValue(), 'paid');
    assert.equal(await page.getByLabel('Issued from').inputValue(), fromDay);
    assert.equal(await rows.count(), since.total);
    await page.getByLabel('Issued from').fill('');
    await page.waitForURL((url) => !url.searchParams.has('from'));
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=invoice-table] tbody tr').length === n,
      paid.total,
    );
    await shot('07-invoices-paid');
    // On a phone each invoice is a block with labelled fields, and its actions stay in reach.
    await page.setViewportSize({ width: 390, height: 844 });
    const download = rows.first().getByRole('button', { name: /Download .* as PDF/ });
    const box = await download.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `download button at ${JSON.stringify(box)}`);
    await shot('07b-invoices-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test('a member opens an invoice, downloads its PDF and goes back to the filtered list', async () => {
    const first = page.getByTestId('invoice-table').locator('tbody tr').first();
    const id = await first.getAttribute('data-invoice');
    await first.getByRole('link').first().click();
    await page.waitForURL((url) => url.pathname === `/billing/invoices/${id}`);
    const invoice = await api(`/api/v1/billing/invoices/${id}`);
    const lines = page.getByTestId('invoice-lines').locator('tbody tr');
    await lines.first().waitFor();
    assert.equal(await lines.count(), invoice.lines.length);
    assert.equal((await page.getByTestId('invoice-subtotal').textContent()).trim(), money(invoice.subtotal));
    assert.equal((await page.getByTestId('invoice-tax').textContent()).trim(), money(invoice.tax));
    assert.equal((await page.getByTestId('invoice-total').textContent()).trim(), money(invoice.total));
    assert.match(await page.getByTestId('invoice-status-message').textContent(), /^Paid/);
    assert.ok(await page.getByRole('heading', { name: invoice.number }).isVisible());
    await shot('08-invoice-detail');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download PDF' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `${invoice.number}.pdf`);
    const file = await download.path();
    const bytes = await readFile(file);
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(bytes.length > 1000);
    await page.getByRole('button', { name: 'Download PDF' }).waitFor({ state: 'visible' });

    await page.getByRole('link', { name: 'Back to invoices' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/invoices' && url.searchParams.get('status') === 'paid');
    assert.equal(await page.getByLabel('Status').inputValue(), 'paid');
  });

  test('an open invoice says when it is due, with Pay now once Stripe has it', async () => {
    const open = await api('/api/v1/billing/invoices?status=open&limit=1');
    assert.equal(open.total > 0, true, 'the demo member has an open invoice');
    // billingd pushes the demo's invoices to the fake Stripe as it starts; it gives the hosted page.
    let invoice = await api(`/api/v1/billing/invoices/${open.data[0].id}`);
    for (let i = 0; i < 60 && !invoice.hosted_invoice_url; ++i) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      invoice = await api(`/api/v1/billing/invoices/${open.data[0].id}`);
    }
    assert.ok(invoice.hosted_invoice_url, 'the open invoice has reached Stripe');
    await page.goto(`/billing/invoices/${invoice.id}`);
    assert.equal(await page.getByTestId('pay-now').getAttribute('href'), invoice.hosted_invoice_url);
    const message = page.getByTestId('invoice-status-message');
    await message.waitFor();
    const overdue = Date.parse(invoice.due_at) < Date.now();
    assert.match(
      await message.textContent(),
      overdue ? /^Overdue/ : new RegExp(`^${money(invoice.amount_due).replace('$', '\\$')} is due on`),
    );
    await shot('09-invoice-open');
    // Without list state (a direct link), "back" still leads to the list.
    await page.getByRole('link', { name: 'Back to invoices' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/invoices');
  });

  test('a lost session sends the user back to login, then to where they were', async () => {
    await page.goto('/billing/usage');
    await waitForMeters();
    await context.clearCookies();
    await page.getByRole('link', { name: 'Invoices' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByText('Your session has ended. Please sign in again.').waitFor();
    await shot('10-session-ended');
    await page.getByLabel('Email').fill(MEMBER);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/invoices');
    await logout();
    await page.getByText('You are signed out.').waitFor();
  });

  test('an admin picks a customer and sees their usage and invoices', async () => {
    await login(ADMIN);
    await page.waitForURL((url) => url.pathname === '/admin/customers');
    const customers = await api('/api/v1/billing/customers?limit=100');
    const rows = page.getByTestId('customer-table').locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), customers.data.length);
    assert.ok(await page.getByRole('link', { name: 'Reconciliation' }).first().isVisible());
    // On a desktop the table fits its card: no sideways scrolling to reach the actions.
    const overflow = await page
      .getByTestId('customer-table')
      .evaluate((table) => table.parentElement.scrollWidth - table.parentElement.clientWidth);
    assert.equal(overflow, 0, 'the customer table scrolls sideways');
    await shot('11-admin-customers');

    const delta = customers.data.find((c) => c.name === 'Delta Apps');
    await page.locator(`tr[data-customer="${delta.id}"]`).getByRole('link', { name: /Usage/ }).click();
    await page.waitForURL((url) => url.pathname === '/billing/usage' && url.searchParams.get('customer') === delta.id);
    await page.locator(`[data-customer="${delta.id}"] .meter`).first().waitFor();
    const usage = await api(`/api/v1/billing/usage/current?customer_id=${delta.id}`);
    const levels = await checkMeters(usage);
    // Delta Apps is past its limits (about 112 %): red bars and an overage charge.
    if (settled(usage)) {
      assert.ok(levels.includes('critical'), `levels ${levels}`);
      assert.ok(usage.total_overage.minor > 0);
    }
    assert.equal((await page.getByTestId('total-overage').textContent()).trim(), money(usage.total_overage));
    assert.equal(await page.getByLabel('Customer').inputValue(), delta.id);
    await shot('12-admin-usage-over-limit');

    // The picker switches customers and keeps the choice in the URL.
    const acme = customers.data.find((c) => c.name === 'Acme Ads');
    await page.getByLabel('Customer').selectOption(acme.id);
    await page.waitForURL((url) => url.searchParams.get('customer') === acme.id);
    await page.locator(`[data-customer="${acme.id}"] .meter`).first().waitFor();
    const acmeUsage = await api(`/api/v1/billing/usage/current?customer_id=${acme.id}`);
    const acmeLevels = await checkMeters(acmeUsage);
    // Acme Ads runs at about 60 %: every bar green.
    if (settled(acmeUsage)) assert.deepEqual([...new Set(acmeLevels)], ['ok'], `levels ${acmeLevels}`);
    await shot('12b-admin-usage-within-limits');

    await page.getByRole('link', { name: 'Invoices' }).click();
    await page.waitForURL(
      (url) => url.pathname === '/billing/invoices' && url.searchParams.get('customer') === acme.id,
    );
    const acmeInvoices = await api(`/api/v1/billing/invoices?customer_id=${acme.id}&limit=100`);
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=invoice-table] tbody tr').length === n,
      Math.min(acmeInvoices.total, 10),
    );
    // All customers: the list shows whose invoice each is, ten to a page.
    await page.getByLabel('Customer').selectOption('');
    const everyone = await api('/api/v1/billing/invoices?limit=100');
    await page.getByRole('columnheader', { name: 'Customer' }).waitFor();
    await page
      .getByTestId('page-info')
      .filter({ hasText: `of ${everyone.total}` })
      .waitFor();
    if (everyone.total > 10) {
      await page.getByRole('button', { name: 'Next' }).click();
      await page.waitForURL((url) => url.searchParams.get('page') === '2');
      await page
        .getByTestId('page-info')
        .filter({ hasText: `Showing 11–${Math.min(20, everyone.total)} of ${everyone.total}` })
        .waitFor();
    }
    await shot('13-admin-invoices-all');
  });

  test('an admin triggers a reconciliation', async () => {
    await page.getByRole('link', { name: 'Reconciliation' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/reconciliation');
    const run = page.getByRole('button', { name: 'Run reconciliation' });
    await run.waitFor();
    const [request, response] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/api/v1/billing/reconcile') && r.method() === 'POST'),
      page.waitForResponse((r) => r.url().endsWith('/api/v1/billing/reconcile')),
      run.click(),
    ]);
    const headers = request.headers();
    assert.ok((headers['idempotency-key'] ?? '').length >= 16, 'Idempotency-Key of at least 16 characters');
    assert.ok(headers['x-csrf-token'], 'cookie sessions send the CSRF token');

    // The last closed month is preselected, and sent.
    const now = new Date();
    const closed =
      now.getUTCMonth() === 0
        ? `${now.getUTCFullYear() - 1}-12`
        : `${now.getUTCFullYear()}-${String(now.getUTCMonth()).padStart(2, '0')}`;
    assert.equal(request.postData(), JSON.stringify({ period: closed }));
    assert.equal(response.status(), 200, await response.text());
    const result = await response.json();
    assert.equal(result.period, closed);
    const panel = page.getByTestId('reconcile-result');
    await panel.waitFor();
    assert.equal(await panel.getAttribute('data-run'), result.id);
    if (result.findings_count > 0) {
      assert.equal(await page.getByTestId('findings-table').locator('tbody tr').count(), result.findings.length);
    } else {
      await panel.getByText('Every invoice matches').waitFor();
    }
    await page.getByTestId('history-table').locator('tbody tr').first().waitFor();
    await shot('14-admin-reconciliation-result');
  });

  test('the reconciliation page shows a result in the agreed shape (API answered by the browser)', async () => {
    // This test answers the reconciliation routes itself, so that a result
    // with findings in two currencies, a 409 and its retry, and the history
    // are shown whatever the demo data holds.
    const usd = (minor) => ({ minor, currency: 'USD', formatted: (minor / 100).toFixed(2) });
    const eur = (minor) => ({ minor, currency: 'EUR', formatted: (minor / 100).toFixed(2) });
    const summary = {
      id: 'rec_e2e1',
      period: '2025-01',
      status: 'completed',
      created_at: '2025-02-02T03:00:00.000Z',
      subscriptions_checked: 4,
      invoices_compared: 4,
      findings_count: 2,
      expected_total: usd(1_234_567),
      billed_total: usd(1_204_567),
      discrepancy_total: usd(30_000),
      currency: 'USD',
      alert_raised: false,
      tolerance: '0.005',
    };
    const result = {
      ...summary,
      totals: [
        {
          currency: 'EUR',
          subscriptions_checked: 1,
          expected_total: eur(25_000),
          billed_total: eur(25_000),
          discrepancy_total: eur(0),
          alert_threshold: eur(100_000),
          alert_raised: false,
        },
        {
          currency: 'USD',
          subscriptions_checked: 3,
          expected_total: usd(1_234_567),
          billed_total: usd(1_204_567),
          discrepancy_total: usd(30_000),
          alert_threshold: usd(100_000),
          alert_raised: false,
        },
      ],
      findings: [
        {
          customer_id: 'cus_a',
          customer_name: 'Delta Apps',
          kind: 'amount_mismatch',
          line: 'impressions',
          expected: usd(597_280),
          billed: usd(567_280),
          difference: usd(-30_000),
          invoice_id: 'inv_a',
          stripe_invoice_id: 'in_1',
        },
        {
          customer_id: 'cus_b',
          customer_name: 'Acme Ads',
          kind: 'missing_in_stripe',
          line: 'total',
          expected: usd(4_900),
          billed: usd(0),
          difference: usd(-4_900),
          invoice_id: 'inv_b',
          stripe_invoice_id: null,
        },
      ],
    };
    const keys = [];
    let runs = 0;
    await page.route('**/api/v1/billing/reconcile', async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      runs += 1;
      if (runs === 1) {
        await route.fulfill({
          status: 409,
          contentType: 'application/json',
          body: JSON.stringify({
            error: { code: 'in_progress', message: 'a reconciliation is already running', request_id: 'req_e2e' },
          }),
        });
      } else {
        await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(result) });
      }
    });
    await page.route('**/api/v1/billing/reconciliations?*', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          object: 'list',
          data: runs > 1 ? [summary] : [],
          has_more: false,
          limit: 20,
          offset: 0,
          next_offset: null,
        }),
      }),
    );
    await page.route('**/api/v1/billing/reconciliations/rec_e2e1', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(result) }),
    );
    try {
      await page.goto('/admin/reconciliation');
      await page.getByRole('heading', { name: 'No reconciliations yet' }).waitFor();
      const period = page.getByLabel('Billing period');
      // One Tab stop: a text field (YYYY-MM), not the browser's month parts; the last closed month preselected.
      assert.match(await period.inputValue(), /^\d{4}-(0[1-9]|1[0-2])$/);
      assert.equal(await period.getAttribute('type'), 'text');
      await period.focus();
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate(() => document.activeElement?.textContent?.trim()),
        'Run reconciliation',
        'one Tab stop from the billing period to the Run button',
      );
      await page.keyboard.press('Shift+Tab');
      assert.equal(await period.evaluate((el) => el === document.activeElement), true, 'and one back');
      // Its format is said with it.
      assert.match(
        await period.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby'))?.textContent),
        /YYYY-MM/,
      );
      // Not a month: said with the field, focus back on it, nothing sent.
      await period.fill('2025-13');
      await page.getByRole('button', { name: 'Run reconciliation' }).click();
      await page.getByText('Not a month: use YYYY-MM').waitFor();
      assert.equal(await period.getAttribute('aria-invalid'), 'true');
      await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
      assert.equal(runs, 0, 'an invalid period is not sent');
      await period.fill('2025-01');
      assert.equal(await period.getAttribute('aria-invalid'), null);
      await page.getByRole('button', { name: 'Run reconciliation' }).click();
      await page.getByRole('heading', { name: 'A reconciliation is already running' }).waitFor();
      await page.getByRole('button', { name: 'Try again' }).click();
      const panel = page.getByTestId('reconcile-result');
      await panel.waitFor();
      // The retry is the same request: same Idempotency-Key.
      assert.equal(keys.length, 2);
      assert.ok(keys[0].length >= 16);
      assert.equal(keys[1], keys[0]);
      assert.equal(await panel.getByRole('heading').first().textContent(), 'Reconciliation for January 2025');
      const rows = page.getByTestId('findings-table').locator('tbody tr');
      assert.equal(await rows.count(), 2);
      assert.deepEqual(
        (await rows.first().locator('td').allTextContents()).map((t) => t.trim()),
        ['Amounts differ', 'Ad impressions', '$5,972.80', '$5,672.80', '\u2212$300.00', 'inv_aStripe in_1'],
      );
      assert.match(await panel.textContent(), /\$12,345\.67/);
      // Two currencies: the stats name the main one, the table has each.
      await panel.getByText('Expected (USD)').waitFor();
      assert.deepEqual(
        (await page.getByTestId('currency-table').locator('tbody tr[data-currency="EUR"] td').allTextContents()).map(
          (t) => t.trim(),
        ),
        ['1', '€250.00', '€250.00', '€0.00', '€1,000.00', 'No'],
      );
      assert.equal(new URL(page.url()).searchParams.get('run'), 'rec_e2e1');
      await page.getByTestId('history-table').locator('tbody tr').first().waitFor();
      await shot('16-admin-reconciliation-result-mocked');
      // A shared link to the run opens it.
      await page.reload();
      await page.getByTestId('findings-table').waitFor();
      // A new period is a new request: a new key.
      await page.getByLabel('Billing period').fill('2025-02');
      const [third] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/billing/reconcile')),
        page.getByRole('button', { name: 'Run reconciliation' }).click(),
      ]);
      assert.equal(third.request().postData(), '{"period":"2025-02"}');
      assert.equal(keys.length, 3);
      assert.notEqual(keys[2], keys[0]);
    } finally {
      await page.unrouteAll();
    }
    await logout();
  });

  test('an admin disables, enables and signs out a member, and changes roles on the Users page', async () => {
    const DISABLED_MESSAGE = 'This account is disabled. Ask an administrator to enable it.';
    // The member signs in in a browser of their own, to see the admin's changes arrive.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const memberContext = await browser.newContext({
        baseURL: server.baseUrl,
        viewport: { width: 1280, height: 860 },
        locale: 'en-US',
        timezoneId: 'UTC',
      });
      const memberPage = await memberContext.newPage();
      memberPage.setDefaultTimeout(15_000);
      const memberSignIn = async () => {
        await memberPage.goto('/login');
        await memberPage.getByLabel('Email').fill(USERS_MEMBER);
        await memberPage.getByLabel('Password').fill(DEMO_PASSWORD);
        await memberPage.getByRole('button', { name: 'Sign in' }).click();
      };
      // The member's next request sends them to /login. Their window may get there
      // first on its own (a background request notices), detaching the link: either will do.
      const memberIsSentToLogin = async () => {
        const toLogin = memberPage.waitForURL((url) => url.pathname === '/login');
        await Promise.race([
          memberPage
            .getByRole('link', { name: 'Invoices' })
            .click()
            .catch(() => toLogin),
          toLogin,
        ]);
        await toLogin;
      };
      await memberSignIn();
      await memberPage.waitForURL((url) => url.pathname === '/billing/usage');

      await login(ADMIN);
      const listRequests = [];
      const onRequest = (request) => {
        if (new URL(request.url()).pathname === '/api/v1/admin/users') listRequests.push(request.url());
      };
      page.on('request', onRequest);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/users');
      const table = page.getByTestId('user-table');
      const rows = table.locator('tbody tr[data-user]');
      await rows.first().waitFor();
      const users = await api('/api/v1/admin/users?limit=100');
      assert.equal(await rows.count(), users.data.length);
      const customers = await api('/api/v1/billing/customers?limit=100');
      const cobalt = customers.data.find((c) => c.name === 'Cobalt Games');
      const member = users.data.find((u) => u.email === USERS_MEMBER);
      const admin = users.data.find((u) => u.email === ADMIN);
      const row = page.locator(`tr[data-user="${member.id}"]`);
      const adminRow = page.locator(`tr[data-user="${admin.id}"]`);
      assert.equal((await row.getByTestId('user-customer').textContent()).trim(), 'Cobalt Games');
      assert.equal((await adminRow.getByTestId('user-customer').textContent()).trim(), '—');
      assert.equal((await row.getByTestId('user-state').textContent()).trim(), 'Enabled');
      // On a desktop the table fits its card: the actions need no sideways scrolling.
      const overflow = await table.evaluate((el) => el.parentElement.scrollWidth - el.parentElement.clientWidth);
      assert.equal(overflow, 0, 'the user table scrolls sideways');
      await shot('17-admin-users');

      // Disable: asked first, then the row shows the API's answer (no reload of the list).
      await row.getByRole('button', { name: /^Disable/ }).click();
      const confirmDisable = page.getByTestId('confirm-disable');
      await confirmDisable.getByRole('heading', { name: `Disable ${USERS_MEMBER}?` }).waitFor();
      await shot('18-admin-users-confirm-disable');
      const [patch] = await Promise.all([
        page.waitForResponse(
          (r) => r.url().endsWith(`/api/v1/admin/users/${member.id}`) && r.request().method() === 'PATCH',
        ),
        confirmDisable.getByRole('button', { name: 'Disable' }).click(),
      ]);
      assert.equal(patch.status(), 200);
      assert.equal(patch.request().postData(), '{"disabled":true}');
      assert.ok(patch.request().headers()['x-csrf-token'], 'cookie sessions send the CSRF token');
      await row.and(page.locator('[data-state="disabled"]')).waitFor();
      assert.match(await row.getByTestId('user-state').textContent(), /^Disabled/);
      assert.equal(await confirmDisable.count(), 0);
      await shot('18b-admin-users-disabled');

      // The member's session ends on its next request, and they cannot sign in again.
      await memberIsSentToLogin();
      await memberPage.getByText(DISABLED_MESSAGE).waitFor();
      await memberSignIn();
      await memberPage.getByRole('alert').filter({ hasText: DISABLED_MESSAGE }).waitFor();
      await memberPage.screenshot({ path: path.join(SHOTS, '19-disabled-member-login.png'), fullPage: true });
      const refused = await memberContext.request.post('/api/v1/auth/login', {
        data: { email: USERS_MEMBER, password: DEMO_PASSWORD },
      });
      assert.equal(refused.status(), 401);
      assert.equal((await refused.json()).error.code, 'account_disabled');

      // Enable (no question asked): the member signs in again.
      await row.getByRole('button', { name: /^Enable/ }).click();
      await row.and(page.locator('[data-state="enabled"]')).waitFor();
      await page.locator(`tr[data-message-for="${member.id}"]`).getByText('Enabled: they can sign in again.').waitFor();
      await memberSignIn();
      await memberPage.waitForURL((url) => url.pathname === '/billing/usage');

      // Sign out everywhere: the member's window is sent to the login page on its next request.
      await row.getByRole('button', { name: /^Sign out everywhere/ }).click();
      const confirmRevoke = page.getByTestId('confirm-revoke');
      await confirmRevoke.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.locator(`tr[data-message-for="${member.id}"]`).getByText('Signed out everywhere.').waitFor();
      await memberIsSentToLogin();
      await memberPage.getByText('Your session has ended. Please sign in again.').waitFor();

      // The last enabled admin cannot disable themselves: the API's 409, in the row.
      await adminRow.getByRole('button', { name: /^Disable/ }).click();
      const confirmSelf = page.getByTestId('confirm-disable');
      await confirmSelf.getByText('This is your own account: you will be signed out.').waitFor();
      await confirmSelf.getByRole('button', { name: 'Disable' }).click();
      const error = page.locator(`tr[data-message-for="${admin.id}"]`).getByTestId('user-error');
      await error.waitFor();
      assert.equal(
        (await error.textContent()).trim(),
        'Not disabled: This is the last enabled admin; make another admin first.',
      );
      assert.equal(await adminRow.getAttribute('data-state'), 'enabled');
      await shot('20-admin-users-last-admin');

      // Role: member to admin (the customer goes), and back to a member of Cobalt Games.
      await row.getByRole('button', { name: /^Role/ }).click();
      let dialog = page.getByTestId('role-dialog');
      await dialog.getByRole('radio', { name: /^Admin/ }).check();
      await dialog.getByRole('button', { name: 'Change role' }).click();
      await row.locator('.badge-role-admin').waitFor();
      assert.equal((await row.getByTestId('user-customer').textContent()).trim(), '—');
      await row.getByRole('button', { name: /^Role/ }).click();
      dialog = page.getByTestId('role-dialog');
      await dialog.getByRole('radio', { name: /^Member/ }).check();
      // A member needs a customer: no change until one is chosen.
      assert.equal(await dialog.getByRole('button', { name: 'Change role' }).isDisabled(), true);
      await dialog.getByLabel('Customer', { exact: true }).selectOption(cobalt.id);
      await shot('21-admin-users-role-dialog');
      const [rolePatch] = await Promise.all([
        page.waitForResponse(
          (r) => r.url().endsWith(`/api/v1/admin/users/${member.id}`) && r.request().method() === 'PATCH',
        ),
        dialog.getByRole('button', { name: 'Change role' }).click(),
      ]);
      assert.equal(rolePatch.request().postData(), JSON.stringify({ role: 'member', customer_id: cobalt.id }));
      await row.locator('.badge-role-member').waitFor();
      assert.equal((await row.getByTestId('user-customer').textContent()).trim(), 'Cobalt Games');

      // Every change came back in its own answer: the list was loaded once.
      assert.equal(listRequests.length, 1, listRequests.join('\n'));
      page.off('request', onRequest);
      const after = (await api('/api/v1/admin/users?limit=100')).data.find((u) => u.id === member.id);
      assert.deepEqual(
        { role: after.role, customer_id: after.customer_id, disabled: after.disabled },
        { role: 'member', customer_id: cobalt.id, disabled: false },
      );

      // Narrower screens: a tablet keeps the table, a phone shows one block per
      // user; neither scrolls sideways.
      const sideways = () => table.evaluate((el) => el.parentElement.scrollWidth - el.parentElement.clientWidth);
      await page.setViewportSize({ width: 800, height: 1000 });
      assert.equal(await sideways(), 0, 'the user table scrolls sideways on a tablet');
      await shot('22-admin-users-tablet');
      await page.setViewportSize({ width: 390, height: 844 });
      assert.equal(await sideways(), 0, 'the user table scrolls sideways on a phone');
      assert.ok(await row.getByRole('button', { name: /^Sign out everywhere/ }).isVisible());
      await shot('23-admin-users-phone');
      await page.setViewportSize({ width: 1280, height: 860 });
      await memberContext.close();
    } finally {
      await browser.close();
    }
    await logout();
  });

  test('a member cannot reach the admin pages', async () => {
    await login(OTHER_MEMBER);
    await page.goto('/admin/reconciliation');
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run reconciliation' }).count(), 0);
    assert.equal(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('heading', { name: 'Admin' }).count(),
      0,
    );
    await shot('15-member-admin-forbidden');
    await page.goto('/admin/customers');
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    await page.goto('/admin/users');
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    await page.goto('/admin/analytics');
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    // And the API refuses too.
    const response = await context.request.get('/api/v1/billing/customers');
    assert.equal(response.status(), 403);
    assert.equal((await context.request.get('/api/v1/admin/users')).status(), 403);
    assert.equal((await context.request.get('/api/v1/admin/analytics/mrr')).status(), 403);
    assert.equal(
      (await context.request.get('/api/v1/admin/exports/invoices?from=2026-01-01&to=2026-02-01')).status(),
      403,
    );
    await logout();
  });
});

// ---------------------------------------------------------------------------
// The admin pages for daily work: customers (search, create once per
// Idempotency-Key, edit), API keys (the secret shown once, revoke) and the
// Stripe webhook events (status filter, cursor paging, retry). Each is checked
// with layoutReport and axe-core at 390 and 1440 px, with screenshots.

/** Layout problems and axe-core violations of the page as it is now, at 390 and 1440 px, with a screenshot of each. */
async function checkAtWidths(name, ready) {
  const found = [];
  for (const width of [390, 1440]) {
    await page.setViewportSize({ width, height: width < 900 ? 844 : 900 });
    await ready().first().waitFor();
    await page.evaluate(() => document.fonts.ready);
    const report = await layoutReport(page);
    found.push(...report.problems.map((problem) => `${width} px ${name}: ${problem}`));
    found.push(...(await axeViolations(page, `${name} @${width}`)));
    await shot(`pages-${width}-${name}`);
    // What a phone shows first, for a look without scrolling a long shot.
    if (width < 900) await page.screenshot({ path: path.join(SHOTS, `pages-${width}-${name}-top.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  return found;
}

/** The ids the field's input is described by, and the text of each. */
async function describedTexts(locator) {
  return locator.evaluate((input) =>
    (input.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent?.trim() ?? `(missing #${id})`),
  );
}

describe('admin pages: customers, API keys, Stripe webhook events', () => {
  test('an admin searches customers, creates one once with an external id and metadata, and edits it', async () => {
    const problems = [];
    await login(ADMIN);
    await page.goto('/admin/customers');
    const table = page.getByTestId('customer-table');
    await table.locator('tbody tr').first().waitFor();

    // The search runs once typing pauses (one request, not one per letter), and lives in the URL.
    const searches = [];
    const onRequest = (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/v1/billing/customers' && url.searchParams.has('q')) searches.push(url.search);
    };
    page.on('request', onRequest);
    const search = page.getByLabel('Search customers');
    await search.pressSequentially('delta', { delay: 40 });
    await page.waitForURL((url) => url.searchParams.get('q') === 'delta');
    const found = await api('/api/v1/billing/customers?q=delta');
    assert.ok(found.data.length >= 1);
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=customer-table] tbody tr').length === n,
      found.data.length,
    );
    await table.getByRole('rowheader', { name: /Delta Apps/ }).waitFor();
    page.off('request', onRequest);
    assert.deepEqual(searches, ['?q=delta&limit=20&offset=0'], 'one search request after typing');
    await shot('30-admin-customers-search');
    await page.reload();
    assert.equal(await page.getByLabel('Search customers').inputValue(), 'delta');
    await table.getByRole('rowheader', { name: /Delta Apps/ }).waitFor();
    await page.getByRole('button', { name: 'Clear the search' }).click();
    await page.waitForURL((url) => !url.searchParams.has('q'));

    // New customer. Submitting twice at once sends one Idempotency-Key: one customer.
    const externalId = `pub_e2e_${Date.now()}`;
    await page.getByRole('button', { name: 'New customer' }).click();
    let dialog = page.getByTestId('customer-dialog');
    await dialog.getByRole('heading', { name: 'New customer' }).waitFor();
    await dialog.getByLabel('Name').fill('Echo Analytics');
    await dialog.getByLabel('Email').fill('billing@echo.example');
    await dialog.getByLabel('Country').fill('de');
    await dialog.getByLabel('Currency').fill('EUR');
    await dialog.getByLabel('External id').fill(externalId);
    for (const [key, value] of [
      ['tier', 'gold'],
      ['account_manager', 'm.keller'],
    ]) {
      await dialog.getByRole('button', { name: 'Add a key' }).click();
      await dialog.locator('.metadata-row').last().getByLabel(/^Key/).fill(key);
      await dialog
        .locator('.metadata-row')
        .last()
        .getByLabel(/^Value/)
        .fill(value);
    }
    await shot('31-admin-customer-new-dialog');
    problems.push(...(await checkAtWidths('admin-customer-new-dialog', () => dialog)));
    const posts = [];
    const onPost = (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/billing/customers')
        posts.push(request);
    };
    page.on('request', onPost);
    const created = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/billing/customers',
    );
    await dialog.locator('form').evaluate((form) => {
      form.requestSubmit();
      form.requestSubmit();
    });
    const answer = await created;
    assert.equal(answer.status(), 201);
    await dialog.waitFor({ state: 'detached' });
    page.off('request', onPost);
    assert.ok(posts.length >= 1);
    const keys = new Set(posts.map((r) => r.headers()['idempotency-key']));
    assert.equal(keys.size, 1, 'every POST of one form has the same Idempotency-Key');
    assert.match([...keys][0], /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(posts[0].postData()), {
      name: 'Echo Analytics',
      email: 'billing@echo.example',
      country: 'DE',
      currency: 'EUR',
      external_id: externalId,
      metadata: { tier: 'gold', account_manager: 'm.keller' },
    });
    await page.getByTestId('customer-done').filter({ hasText: 'Created Echo Analytics.' }).waitFor();
    const matches = await api(`/api/v1/billing/customers?q=${externalId}`);
    assert.equal(matches.data.length, 1, 'one customer with this external id');
    const echo = matches.data[0];
    assert.deepEqual(echo.metadata, { tier: 'gold', account_manager: 'm.keller' });
    const row = page.locator(`tr[data-customer="${echo.id}"]`);
    assert.equal((await row.getByTestId('customer-external-id').textContent()).trim(), externalId);

    // The same external id again: the server's 409 under the External id field, tied to it.
    await page.getByRole('button', { name: 'New customer' }).click();
    dialog = page.getByTestId('customer-dialog');
    await dialog.getByLabel('Name').fill('Echo Copy');
    await dialog.getByLabel('External id').fill(externalId);
    await dialog.getByRole('button', { name: 'Create customer' }).click();
    const externalField = dialog.getByLabel('External id');
    await dialog.locator('[data-field="external_id"] .field-error').waitFor();
    assert.equal(await externalField.getAttribute('aria-invalid'), 'true');
    const described = await describedTexts(externalField);
    assert.ok(
      described.some((text) => text.includes(`has external_id ${externalId}`)),
      `described by: ${described.join(' | ')}`,
    );
    // Focus moves to the field once the error is shown (an effect after that render: wait for it).
    await page
      .waitForFunction(() => document.activeElement?.closest('[data-field]')?.dataset.field === 'external_id', null, {
        timeout: 5000,
      })
      .catch(() => {});
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest('[data-field]')?.dataset.field),
      'external_id',
    );
    await shot('32-admin-customer-external-id-taken');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Edit: the currency is shown but fixed; a metadata key removed is sent as null.
    await search.fill(externalId);
    await page.waitForURL((url) => url.searchParams.get('q') === externalId);
    await row.getByRole('button', { name: /^Edit/ }).click();
    dialog = page.getByTestId('customer-dialog');
    await dialog.getByRole('heading', { name: 'Edit Echo Analytics' }).waitFor();
    const currency = dialog.getByLabel('Currency');
    assert.equal(await currency.inputValue(), 'EUR');
    assert.equal(await currency.getAttribute('readonly'), '');
    assert.ok((await describedTexts(currency)).some((text) => /Cannot be changed/.test(text)));
    // Nothing changed yet: nothing to save.
    assert.equal(await dialog.getByRole('button', { name: 'Save changes' }).isDisabled(), true);
    await dialog.getByLabel('Email').fill('finance@echo.example');
    await dialog.getByRole('button', { name: 'Remove the key tier' }).click();
    await shot('33-admin-customer-edit-dialog');
    problems.push(...(await checkAtWidths('admin-customer-edit-dialog', () => dialog)));
    const [patch] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/customers/${echo.id}`)),
      dialog.getByRole('button', { name: 'Save changes' }).click(),
    ]);
    assert.equal(patch.status(), 200);
    assert.deepEqual(JSON.parse(patch.request().postData()), {
      email: 'finance@echo.example',
      metadata: { tier: null },
    });
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('customer-done').filter({ hasText: 'Saved the changes to Echo Analytics.' }).waitFor();
    await row.getByText('finance@echo.example').waitFor();
    const edited = await api(`/api/v1/billing/customers/${echo.id}`);
    assert.deepEqual(edited.metadata, { account_manager: 'm.keller' });
    assert.equal(edited.currency, 'EUR');
    // The dialog opened again shows the change.
    await row.getByRole('button', { name: /^Edit/ }).click();
    dialog = page.getByTestId('customer-dialog');
    assert.deepEqual(
      await dialog.locator('.metadata-row').evaluateAll((rows) => rows.map((r) => r.dataset.metadataRow)),
      ['account_manager'],
    );
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await search.fill('');
    await page.waitForURL((url) => !url.searchParams.has('q'));
    problems.push(...(await checkAtWidths('admin-customers', () => table)));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test("an admin reads the plans' prices and versions and previews an invoice, to the cent of the API's", async () => {
    // Still signed in as the admin of the test before. Growth gets a second
    // version: its subscriptions stay on the first until moved.
    const versioned = await context.request.post('/api/v1/admin/plans/growth/versions', {
      data: {
        base_fee: '349.00',
        limits: { impressions: 10000000, api_calls: 1000000, data_transfer: 500000000000 },
        overage_prices: { impressions: { amount: '0.45', per: 1000 } },
      },
      headers: { 'X-CSRF-Token': await csrfToken() },
    });
    assert.equal(versioned.status(), 201, await versioned.text());
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plans' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/plans');
    const plans = await api('/api/v1/admin/plans');
    for (const plan of plans.data) {
      const card = page.locator(`section[data-plan="${plan.id}"]`);
      await card.waitFor();
      for (const metric of plan.metrics) {
        const words = (
          await card.locator(`tr[data-metric="${metric.metric}"] [data-testid="plan-pricing"]`).textContent()
        ).trim();
        assert.equal(`${metric.name}: ${words}`, metric.pricing);
      }
      assert.equal((await card.getByTestId('plan-version').textContent()).trim(), `version ${plan.version}`);
    }
    const growthVersions = page.locator('section[data-plan="growth"] [data-testid="plan-versions"]');
    await growthVersions.locator('summary').click();
    assert.equal(await growthVersions.locator('tbody tr').count(), 2);
    assert.match(await growthVersions.locator('tr[data-version="2"]').textContent(), /349\.00.*Current/);
    const form = page.locator('form.preview-form');
    await form.getByLabel('Plan').selectOption('growth');
    await form.getByLabel('Ad impressions (impressions)').fill('12345678');
    await form.getByLabel('API calls (calls)').fill('3000000');
    await form.getByLabel('Tax rate (optional)').fill('0.19');
    await form.getByRole('button', { name: 'Preview' }).click();
    const total = page.getByTestId('preview-total');
    await total.waitFor();
    const expected = await context.request.post('/api/v1/billing/price-preview', {
      data: { plan: 'growth', tax_rate: '0.19', quantities: { impressions: 12345678, api_calls: 3000000 } },
      headers: { 'X-CSRF-Token': await csrfToken() },
    });
    assert.equal(expected.status(), 200, await expected.text());
    const preview = await expected.json();
    assert.equal((await total.textContent()).trim(), money(preview.total));
    assert.equal(await page.locator('[data-testid="preview-lines"] tbody tr').count(), preview.lines.length);
    await shot('40-admin-plans-preview');
    // The first version's prices, as the API computes them.
    await form.getByLabel('Version').selectOption('1');
    await form.getByRole('button', { name: 'Preview' }).click();
    const first = await context.request.post('/api/v1/billing/price-preview', {
      data: { plan: 'growth', version: 1, tax_rate: '0.19', quantities: { impressions: 12345678, api_calls: 3000000 } },
      headers: { 'X-CSRF-Token': await csrfToken() },
    });
    const firstPreview = await first.json();
    assert.notEqual(firstPreview.total.minor, preview.total.minor);
    await page
      .getByTestId('preview-total')
      .filter({ hasText: money(firstPreview.total) })
      .waitFor();
    // A quantity that is not whole units is caught before it is sent.
    await form.getByLabel('API calls (calls)').fill('3.5');
    await form.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('preview-error').filter({ hasText: 'API calls: type whole units' }).waitFor();
  });

  test('an admin creates an API key, sees its secret once, copies it and revokes the key', async () => {
    const problems = [];
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/api-keys');
    // The page's h1 has focus after moving to it.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.match(await page.evaluate(() => document.activeElement.textContent), /Admin: API keys/);
    const table = page.getByTestId('key-table').or(page.getByRole('heading', { name: 'No API keys yet' }));
    await table.first().waitFor();

    const customers = await api('/api/v1/billing/customers?limit=100');
    const delta = customers.data.find((c) => c.name === 'Delta Apps');
    await page.getByRole('button', { name: 'New API key' }).click();
    const dialog = page.getByTestId('key-dialog');
    // A name is needed: said under the field, without a request.
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const name = dialog.getByLabel('Name');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.ok((await describedTexts(name)).includes('Enter a name, e.g. what uses the key.'));
    await name.fill('e2e-ingest');
    await dialog.getByRole('radio', { name: /^Service/ }).check();
    await dialog.getByLabel('Customer', { exact: true }).selectOption(delta.id);
    problems.push(...(await checkAtWidths('admin-api-key-dialog', () => dialog)));
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/admin/api-keys')),
      dialog.getByRole('button', { name: 'Create key' }).click(),
    ]);
    assert.equal(response.status(), 201);
    assert.match(response.request().headers()['idempotency-key'], /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(response.request().postData()), {
      name: 'e2e-ingest',
      role: 'service',
      customer_id: delta.id,
    });
    const createdKey = await response.json();
    assert.match(createdKey.secret, /^mk_/);

    // The secret, once: with a warning, and a button that copies it.
    const secretDialog = page.getByTestId('secret-dialog');
    await secretDialog.getByText('Copy the secret now: it will not be shown again.').waitFor();
    assert.equal(await secretDialog.getByTestId('api-key-secret').inputValue(), createdKey.secret);
    await secretDialog.getByRole('button', { name: 'Copy' }).click();
    await secretDialog.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), createdKey.secret);
    await shot('34-admin-api-key-secret');
    problems.push(...(await checkAtWidths('admin-api-key-secret', () => secretDialog)));
    await secretDialog.getByRole('button', { name: 'I have copied it' }).click();
    await secretDialog.waitFor({ state: 'detached' });

    // The list has the key, and nowhere its secret.
    const row = page.locator(`tr[data-key="${createdKey.id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'active');
    assert.match(await row.textContent(), /Delta Apps/);
    assert.ok(!(await page.content()).includes(createdKey.secret), 'the secret is not on the page any more');
    // The key works until it is revoked.
    const headers = { Authorization: `Bearer ${createdKey.secret}` };
    const before = await context.request.get(`/api/v1/billing/usage/current?customer_id=${delta.id}`, {
      headers,
    });
    assert.equal(before.status(), 200, await before.text());

    // Revoke: asked first; the row is then marked revoked.
    await row.getByRole('button', { name: /^Revoke/ }).click();
    const confirm = page.getByTestId('confirm-revoke-key');
    await confirm.getByRole('heading', { name: 'Revoke e2e-ingest?' }).waitFor();
    await shot('35-admin-api-key-confirm-revoke');
    const [revoked] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(createdKey.id)),
      confirm.getByRole('button', { name: 'Revoke key' }).click(),
    ]);
    assert.equal(revoked.status(), 204);
    await row.and(page.locator('[data-state="revoked"]')).waitFor();
    assert.match(await row.getByTestId('key-state').textContent(), /^Revoked/);
    assert.equal(await row.getByRole('button', { name: /^Revoke/ }).count(), 0);
    const listed = (await api('/api/v1/admin/api-keys?limit=100')).data.find((k) => k.id === createdKey.id);
    assert.ok(listed.revoked_at, 'the API lists the key as revoked');
    const after = await context.request.get(`/api/v1/billing/usage/current?customer_id=${delta.id}`, { headers });
    assert.equal(after.status(), 401);

    problems.push(...(await checkAtWidths('admin-api-keys', () => page.getByTestId('key-table'))));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('an admin filters the Stripe webhook events by status, in the URL', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stripe webhooks' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/webhooks');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    const loaded = () => page.getByTestId('webhook-table').or(page.getByRole('heading', { name: /^No .*events/ }));
    await loaded().first().waitFor();
    const all = await api('/api/v1/admin/webhooks/stripe?limit=25');
    assert.equal(await page.locator('[data-testid=webhook-table] tbody tr[data-event]').count(), all.data.length);
    const [request] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/admin/webhooks/stripe'),
      page.getByLabel('Status').selectOption('failed'),
    ]);
    assert.equal(new URL(request.url()).searchParams.get('status'), 'failed');
    await page.waitForURL((url) => url.searchParams.get('status') === 'failed');
    const failed = await api('/api/v1/admin/webhooks/stripe?status=failed&limit=25');
    if (failed.data.length === 0) await page.getByRole('heading', { name: 'No failed events' }).waitFor();
    else await page.getByTestId('webhook-table').waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('Status').inputValue(), 'failed');
    await page.getByLabel('Status').selectOption('');
    await page.waitForURL((url) => !url.searchParams.has('status'));
    const problems = await checkAtWidths('admin-webhooks', loaded);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('the webhook events page pages by cursor, shows long errors whole and retries dead events (API answered by the browser)', async () => {
    // Events as billingd sends them: ids newest first, a failed and a dead one with long errors.
    const LONG_ERROR =
      'stripe: customer cus_0VcP5p68GqX53NPSmohHJhJo has no subscription for price price_1Q2w3E4r5T6y7U8i; the invoice in_1QabCdEfGhIjKlMn cannot be matched';
    const event = (id, status, extra = {}) => ({
      id,
      stripe_event_id: `evt_e2e${String(id).padStart(10, '0')}`,
      type: status === 'processed' ? 'invoice.paid' : 'invoice.payment_failed',
      event_created: 1795991153,
      status,
      attempts: status === 'processed' ? 1 : status === 'dead' ? 8 : 3,
      last_error: status === 'failed' || status === 'dead' ? LONG_ERROR : null,
      outcome: status === 'processed' ? 'applied: invoice inv_0VcP5pcJUR7EhnH6nSHeiNwg paid' : null,
      received_at: new Date(Date.UTC(2026, 10, 29, 12, 0, id)).toISOString(),
      processed_at: status === 'processed' ? new Date(Date.UTC(2026, 10, 29, 12, 0, id + 1)).toISOString() : null,
      ...extra,
    });
    const events = [];
    for (let id = 60; id >= 1; id -= 1)
      events.push(event(id, id === 58 ? 'dead' : id === 57 ? 'failed' : id === 59 ? 'processing' : 'processed'));
    const asked = [];
    const retried = [];
    await page.route('**/api/v1/admin/webhooks/stripe**', async (route) => {
      const url = new URL(route.request().url());
      if (route.request().method() === 'POST') {
        const id = Number(url.pathname.split('/').at(-2));
        retried.push(id);
        const target = events.find((e) => e.id === id);
        target.status = 'pending';
        target.attempts += 0;
        return route.fulfill({ status: 202, json: { id, status: 'failed', retry: 'queued' } });
      }
      asked.push(url.search);
      const status = url.searchParams.get('status');
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const list = events.filter((e) => !status || e.status === status);
      const after = url.searchParams.get('starting_after');
      const before = url.searchParams.get('ending_before');
      let data;
      let hasMore;
      if (after) {
        const start = list.findIndex((e) => String(e.id) === after) + 1;
        data = list.slice(start, start + limit);
        hasMore = start + limit < list.length;
      } else if (before) {
        const end = list.findIndex((e) => String(e.id) === before);
        data = list.slice(Math.max(0, end - limit), end);
        hasMore = end - limit > 0;
      } else {
        data = list.slice(0, limit);
        hasMore = limit < list.length;
      }
      return route.fulfill({
        status: 200,
        json: {
          object: 'list',
          data,
          has_more: hasMore,
          limit,
          offset: after || before ? null : 0,
          next_offset: after || before || !hasMore ? null : limit,
        },
      });
    });
    try {
      await page.goto('/admin/webhooks');
      const table = page.getByTestId('webhook-table');
      const rows = table.locator('tbody tr[data-event]');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 25);
      assert.equal(await rows.first().getAttribute('data-event'), '60');

      // A long error is cut to one line; its whole text opens in place.
      const dead = page.locator('tr[data-event="58"]');
      const details = dead.locator('details');
      assert.equal(await details.getAttribute('open'), null);
      const short = details.locator('.long-text-short');
      assert.ok(await short.evaluate((el) => el.scrollWidth > el.clientWidth), 'the error is cut');
      await details.locator('summary').click();
      assert.equal(await details.getAttribute('open'), '');
      assert.ok(await short.evaluate((el) => el.scrollWidth <= el.clientWidth), 'the whole error shows');
      assert.match(await short.textContent(), /cannot be matched$/);
      await shot('36-admin-webhooks-error-open');

      // Retry is offered for failed and dead events only.
      assert.equal(
        await page
          .locator('tr[data-event="60"]')
          .getByRole('button', { name: /^Retry/ })
          .count(),
        0,
      );
      assert.equal(
        await page
          .locator('tr[data-event="59"]')
          .getByRole('button', { name: /^Retry/ })
          .count(),
        0,
      );
      assert.equal(
        await page
          .locator('tr[data-event="57"]')
          .getByRole('button', { name: /^Retry/ })
          .count(),
        1,
      );
      const listsBefore = asked.length;
      await dead.getByRole('button', { name: /^Retry/ }).click();
      await page
        .locator('tr[data-message-for="58"]')
        .getByText(/^Queued again/)
        .waitFor();
      assert.deepEqual(retried, [58]);
      // The list was asked again, and shows the event queued.
      await page.locator('tr[data-event="58"][data-status="pending"]').waitFor();
      assert.ok(asked.length > listsBefore);
      await shot('37-admin-webhooks-retried');

      // Older: starting_after = the last id; Newer: ending_before = the first id.
      await page.getByRole('button', { name: 'Older' }).click();
      await page.waitForURL((url) => url.searchParams.get('after') === '36');
      await page.locator('tr[data-event="35"]').waitFor();
      assert.ok(asked.at(-1).includes('starting_after=36'), asked.at(-1));
      assert.equal(await rows.count(), 25);
      await page.getByRole('button', { name: 'Older' }).click();
      await page.waitForURL((url) => url.searchParams.get('after') === '11');
      await page.locator('tr[data-event="10"]').waitFor();
      assert.equal(await rows.count(), 10);
      assert.equal(await page.getByRole('button', { name: 'Older' }).isDisabled(), true);
      await page.getByRole('button', { name: 'Newer' }).click();
      await page.waitForURL((url) => url.searchParams.get('before') === '10');
      await page.locator('tr[data-event="35"]').waitFor();
      assert.ok(asked.at(-1).includes('ending_before=10'), asked.at(-1));
      // With the status filter the cursor starts again.
      await page.getByLabel('Status').selectOption('failed');
      await page.waitForURL((url) => url.searchParams.get('status') === 'failed' && !url.searchParams.has('before'));
      await page.locator('tr[data-event="57"]').waitFor();
      assert.equal(await rows.count(), 1);
      await page.getByLabel('Status').selectOption('');
      await page.waitForURL((url) => !url.searchParams.has('status'));
      await rows.first().waitFor();
      await page.locator('tr[data-event="57"] details summary').click();
      const problems = await checkAtWidths('admin-webhooks-events', () => table);
      assert.deepEqual(problems, [], problems.join('\n'));
    } finally {
      await page.unroute('**/api/v1/admin/webhooks/stripe**');
    }
    await logout();
  });
});

// ---------------------------------------------------------------------------
// Layout at every width, accessibility (axe-core) over every page state, the
// login redirect after a sign-out, honest errors without Stripe, and the
// request budget. Screenshots: layout-<width>-<page>.png for 390 and 1440 px.

const WIDTHS = [390, 820, 1024, 1280, 1440];
const SHOT_WIDTHS = new Set([390, 1440]);

/** Opens `path` and waits for `ready` (a locator factory) to be visible. */
async function open(path, ready) {
  await page.goto(path);
  await ready().first().waitFor();
  // Fonts and the chart's measured width settle.
  await page.evaluate(() => document.fonts.ready);
}

/** The pages a member and an admin see, each with what shows it is loaded. */
async function memberPages() {
  const paid = (await api('/api/v1/billing/invoices?status=paid&limit=1')).data[0];
  const open_ = (await api('/api/v1/billing/invoices?status=open&limit=1')).data[0];
  const draft = (await api('/api/v1/billing/invoices?status=draft&limit=1')).data[0];
  const pages = [
    { name: 'usage', path: '/billing/usage', ready: () => page.locator('figure.chart svg') },
    { name: 'invoices', path: '/billing/invoices', ready: () => page.getByTestId('invoice-table') },
    {
      name: 'invoices-empty',
      path: '/billing/invoices?from=2001-01-01&to=2001-01-31',
      ready: () => page.getByRole('heading', { name: 'No invoices match these filters' }),
    },
    { name: 'invoice-paid', path: `/billing/invoices/${paid.id}`, ready: () => page.getByTestId('invoice-lines') },
    { name: 'plan', path: '/billing/plan', ready: () => page.locator('article.plan-offer') },
    {
      name: 'webhooks',
      path: '/developers/webhooks',
      ready: () =>
        page.getByTestId('endpoint-table').or(page.getByRole('heading', { name: 'No webhook endpoints yet' })),
    },
    { name: 'not-found', path: '/no/such/page', ready: () => page.getByRole('heading', { name: 'Page not found' }) },
    {
      name: 'member-admin-forbidden',
      path: '/admin/users',
      ready: () => page.getByRole('heading', { name: 'Administrators only' }),
    },
  ];
  if (open_)
    pages.push({
      name: 'invoice-open',
      path: `/billing/invoices/${open_.id}`,
      ready: () => page.getByTestId('invoice-lines'),
    });
  if (draft)
    pages.push({
      name: 'invoice-draft',
      path: `/billing/invoices/${draft.id}`,
      ready: () => page.getByTestId('invoice-lines'),
    });
  return pages;
}

async function adminPages() {
  const customers = await api('/api/v1/billing/customers?limit=100');
  const delta = customers.data.find((c) => c.name === 'Delta Apps') ?? customers.data[0];
  return [
    { name: 'admin-customers', path: '/admin/customers', ready: () => page.getByTestId('customer-table') },
    { name: 'admin-plans', path: '/admin/plans', ready: () => page.locator('section[data-plan="enterprise"]') },
    {
      name: 'admin-usage',
      path: `/billing/usage?customer=${delta.id}`,
      ready: () => page.locator('figure.chart svg'),
    },
    {
      name: 'admin-choose-customer',
      path: '/billing/usage',
      forget: true,
      ready: () => page.getByRole('heading', { name: 'Choose a customer' }),
    },
    { name: 'admin-invoices-all', path: '/billing/invoices', ready: () => page.getByTestId('invoice-table') },
    {
      name: 'admin-reconciliation',
      path: '/admin/reconciliation',
      ready: () => page.getByTestId('history-table').or(page.getByRole('heading', { name: 'No reconciliations yet' })),
    },
    {
      name: 'admin-api-keys',
      path: '/admin/api-keys',
      ready: () => page.getByTestId('key-table').or(page.getByRole('heading', { name: 'No API keys yet' })),
    },
    {
      name: 'admin-webhooks',
      path: '/admin/webhooks',
      ready: () => page.getByTestId('webhook-table').or(page.getByRole('heading', { name: 'No Stripe events yet' })),
    },
    {
      name: 'admin-webhook-endpoints',
      path: '/developers/webhooks',
      ready: () =>
        page.getByTestId('endpoint-table').or(page.getByRole('heading', { name: 'No webhook endpoints yet' })),
    },
    {
      name: 'admin-analytics',
      path: '/admin/analytics',
      // Every card loaded, charts drawn.
      ready: () => page.locator(ANALYTICS_LOADED),
    },
    // Last: the axe-core test opens a dialog on it.
    { name: 'admin-users', path: '/admin/users', ready: () => page.getByTestId('user-table') },
  ];
}

describe('console at every width, for every page state', () => {
  test('nothing leaves its card, the page never scrolls sideways, and the top bar keeps its height', async () => {
    const problems = [];
    for (const [email, role, pagesOf] of [
      [MEMBER, 'member', memberPages],
      [ADMIN, 'admin', adminPages],
    ]) {
      await page.setViewportSize({ width: 1280, height: 860 });
      await login(email);
      const pages = await pagesOf();
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        const headers = new Map();
        for (const state of pages) {
          if (state.forget) await page.evaluate(() => sessionStorage.removeItem('meterline.customer'));
          await open(state.path, state.ready);
          const report = await layoutReport(page);
          for (const problem of report.problems) problems.push(`${width} px ${role} ${state.name}: ${problem}`);
          headers.set(state.name, report.header);
          if (SHOT_WIDTHS.has(width)) await shot(`layout-${width}-${state.name}`);
        }
        const heights = new Set(headers.values());
        if (heights.size !== 1)
          problems.push(
            `${width} px ${role}: the top bar's height differs: ${JSON.stringify(Object.fromEntries(headers))}`,
          );
      }
      await page.setViewportSize({ width: 1280, height: 860 });
      await logout();
    }
    assert.deepEqual(problems, [], `layout problems:\n${problems.join('\n')}`);
  });

  test('axe-core finds no serious or critical violation in any page state (member and admin)', async () => {
    const found = [];
    const check = async (state) => found.push(...(await axeViolations(page, state)));
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width < 900 ? 844 : 860 });
      const at = (name) => `${name} @${width}`;
      await page.goto('/login');
      await page.getByLabel('Email').waitFor();
      await check(at('login'));
      await page.getByLabel('Email').fill(MEMBER);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
      // The failed sign-in leaves focus on its message, not on the page.
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-error');
      await check(at('login-error'));

      await login(MEMBER);
      for (const state of await memberPages()) {
        await open(state.path, state.ready);
        await check(at(`member ${state.name}`));
      }
      if (width < 900) {
        await page.getByRole('button', { name: 'Open menu' }).click();
        await page.getByRole('navigation', { name: 'Main' }).waitFor();
        await check(at('member phone-menu'));
        await shot('a11y-phone-menu-open');
        // Escape closes the menu and gives focus back to its button.
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Open menu' }).waitFor();
        assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-controls')), 'primary-nav');
      }
      await logout();
      await check(at('signed-out'));

      await login(ADMIN);
      for (const state of await adminPages()) {
        if (state.forget) await page.evaluate(() => sessionStorage.removeItem('meterline.customer'));
        await open(state.path, state.ready);
        await check(at(`admin ${state.name}`));
      }
      const firstUser = page.getByTestId('user-table').locator('tbody tr[data-user]').first();
      await firstUser.getByRole('button', { name: /^Role/ }).click();
      await page.getByTestId('role-dialog').waitFor();
      await check(at('admin role-dialog'));
      await page.keyboard.press('Escape');
      await page.getByTestId('role-dialog').waitFor({ state: 'detached' });
      await logout();
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);
  });

  test('each signed-in page has one h1, which has focus after moving to it', async () => {
    await login(MEMBER);
    await page
      .getByRole('tab', { name: 'Invoices' })
      .or(page.getByRole('link', { name: 'Invoices' }))
      .first()
      .click();
    await page.waitForURL((url) => url.pathname === '/billing/invoices');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.equal(await page.locator('main h1').count(), 1);
    assert.match(await page.evaluate(() => document.activeElement.textContent), /Billing: Invoices/);
    // One Tab stop per date filter (a text field, not the browser's date parts).
    await page.getByLabel('Issued from').focus();
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('aria-describedby')?.endsWith('-hint')),
      true,
    );
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest('.field')?.querySelector('label')?.textContent),
      'Issued to',
    );
    await logout();
  });

  test("signing out drops ?next=, and the next user does not land on the previous user's invoice", async () => {
    await login(MEMBER);
    const invoice = (await api('/api/v1/billing/invoices?status=paid&limit=1')).data[0];
    await page.goto(`/billing/invoices/${invoice.id}`);
    await page.getByTestId('invoice-lines').waitFor();
    await logout();
    assert.equal(new URL(page.url()).search, '', `after sign-out: ${page.url()}`);

    // The session ends (not a sign-out): the login page keeps where the member was...
    await login(MEMBER);
    await page.goto(`/billing/invoices/${invoice.id}`);
    await page.getByTestId('invoice-lines').waitFor();
    await context.clearCookies();
    await page.getByRole('link', { name: 'Back to invoices' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByText('Your session has ended. Please sign in again.').waitFor();
    const next = new URL(page.url()).searchParams.get('next');
    assert.ok(next?.startsWith('/billing/invoices'), `next=${next}`);
    // ...but someone else signing in on this tab starts at their own home.
    await page.getByLabel('Email').fill(OTHER_MEMBER);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/usage');
    await logout();

    // A link from elsewhere: never an admin page for a member, never one invoice.
    await page.goto('/login?next=%2Fadmin%2Fusers');
    await page.getByLabel('Email').fill(OTHER_MEMBER);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/usage');
    await logout();
    await page.goto(`/login?next=${encodeURIComponent(`/billing/invoices/${invoice.id}`)}`);
    await page.getByLabel('Email').fill(OTHER_MEMBER);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/invoices');
    await logout();
  });
});

describe('drafts', () => {
  test('a draft says it is not issued, and its PDF is named after customer and month', async () => {
    await login(ADMIN);
    const draft = (await api('/api/v1/billing/invoices?status=draft&limit=1')).data[0];
    if (!draft) {
      await logout();
      return; // the demo data has no draft this period
    }
    const customers = await api('/api/v1/billing/customers?limit=100');
    const name = customers.data.find((c) => c.id === draft.customer_id)?.name ?? draft.customer_id;
    await page.goto(`/billing/invoices/${draft.id}?customer=${draft.customer_id}`);
    await page.getByTestId('invoice-lines').waitFor();
    const issued = page.locator('.fact').filter({ has: page.locator('dt', { hasText: /^Issued$/ }) });
    assert.equal((await issued.locator('dd').textContent()).trim(), 'Draft — not issued');
    await shot('24-invoice-draft');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download PDF' }).click(),
    ]);
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '');
    assert.equal(download.suggestedFilename(), `draft-${slug}-${draft.period.start.slice(0, 7)}.pdf`);
    await logout();
  });
});

// ---------------------------------------------------------------------------
// The Plan page: a member compares plans, previews a change to the cent of the
// API's preview, changes plan now, schedules a downgrade and keeps the current
// plan, cancels at the period's end and reactivates. PLAN_MEMBER's plan
// changes here, so these tests run last on the shared server, and they leave
// it on the plan it started on.

/** Waits past the turn of the hour when it is less than 90 s away: a change "now" starts at the current hour. */
async function awayFromHourBoundary() {
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < 90_000) await new Promise((resolve) => setTimeout(resolve, left + 2_000));
}

/** The API's preview of a plan change, asked with the session as the page asks it. */
async function previewFromApi(subscriptionId, body) {
  const response = await context.request.post(`/api/v1/billing/subscriptions/${subscriptionId}/change/preview`, {
    data: body,
    headers: { 'X-CSRF-Token': await csrfToken() },
  });
  assert.equal(response.status(), 200, await response.text());
  return response.json();
}

/** Checks the dialog's preview against the API's: the timing, each part's lines and totals, to the cent. */
async function checkPreview(dialog, preview) {
  const shown = dialog.getByTestId('plan-change-preview');
  assert.equal(await shown.getAttribute('data-effective'), preview.change.effective);
  const parts = shown.locator('section[data-part]');
  assert.equal(await parts.count(), preview.parts.length);
  for (const part of preview.parts) {
    const section = shown.locator(`section[data-part="${part.part}"]`);
    const rows = section.getByTestId(`part-${part.part}-lines`).locator('tbody tr');
    assert.equal(await rows.count(), part.lines.length, `${part.part}: lines`);
    for (const [index, line] of part.lines.entries()) {
      const row = rows.nth(index);
      assert.equal((await row.locator('td.cell-main').textContent()).trim(), line.description);
      assert.equal((await row.locator('td').last().textContent()).trim(), money(line.amount), line.description);
    }
    assert.equal((await section.getByTestId(`part-${part.part}-total`).textContent()).trim(), money(part.total));
  }
}

describe('the Plan page', () => {
  let subscription;
  let plans;
  let original;

  test('a member compares plans, previews an upgrade to the cent of the API, and changes plan now', async () => {
    await login(PLAN_MEMBER);
    await page.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name: 'Plan' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/plan');
    // One h1, the section's, with focus and the page's name for screen readers.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.equal(await page.locator('main h1').count(), 1);
    assert.match(await page.evaluate(() => document.activeElement.textContent), /Billing: Plan/);
    assert.equal(await page.title(), 'Plan · Meterline');

    const usage = await api('/api/v1/billing/usage/current');
    subscription = await api(`/api/v1/billing/subscriptions/${usage.subscription.id}`);
    plans = (await api('/api/v1/billing/plans')).data;
    original = plans.find((plan) => plan.id === subscription.plan_id);
    assert.ok(original, `the member's plan ${subscription.plan_id} is offered`);
    const current = page.getByTestId('current-plan');
    await current.waitFor();
    assert.equal(await current.getAttribute('data-plan'), original.id);
    assert.equal((await current.getByTestId('current-plan-name').textContent()).trim(), original.name);
    assert.equal(await page.getByTestId('plan-note-changing').count(), 0);

    // Every plan with its fee and each metric's allowance and price, as the API has them.
    for (const plan of plans) {
      const card = page.locator(`article[data-plan="${plan.id}"]`);
      assert.equal((await card.getByTestId('plan-fee').textContent()).trim(), money(plan.base_fee));
      for (const metric of plan.metrics) {
        const row = card.locator(`[data-metric="${metric.metric}"]`);
        const allowance = (await row.getByTestId('plan-allowance').textContent()).trim();
        if (metric.unit === 'byte') assert.match(allowance, /^[\d.,]+ (GB|TB)$/, allowance);
        else assert.ok(allowance.startsWith(`${metric.limit.toLocaleString('en-US')} `), allowance);
        assert.equal(`${metric.name}: ${(await row.getByTestId('plan-pricing').textContent()).trim()}`, metric.pricing);
      }
      const mine = plan.id === original.id;
      assert.equal(await card.getByTestId('current-plan-badge').count(), mine ? 1 : 0, plan.id);
      assert.equal(await card.getByRole('button', { name: `Change to ${plan.name}` }).count(), mine ? 0 : 1, plan.id);
    }
    await shot('50-plan-member');

    // The next more expensive plan: an upgrade, which the server applies now unless told otherwise.
    const target = plans
      .filter((plan) => plan.base_fee.minor > original.base_fee.minor)
      .sort((a, b) => a.base_fee.minor - b.base_fee.minor)[0];
    assert.ok(target, `a plan dearer than ${original.name}`);
    await awayFromHourBoundary();
    await page.getByRole('button', { name: `Change to ${target.name}` }).click();
    const dialog = page.getByTestId('plan-change-dialog');
    await dialog.getByTestId('plan-change-preview').waitFor();
    const preview = await previewFromApi(subscription.id, { plan: target.id, version: target.version });
    assert.equal(preview.change.effective, 'now');
    assert.equal(preview.change.upgrade, true);
    // Split at the start of this hour: the period's part before on the old plan, the rest on the new one
    // (only in a period's first hour is there nothing before).
    const split = Date.parse(preview.change.effective_at) > Date.parse(subscription.current_period.start);
    assert.deepEqual(
      preview.parts.map((part) => `${part.part} ${part.plan_id}`),
      split ? [`before ${original.id}`, `after ${target.id}`] : [`after ${target.id}`],
    );
    assert.ok(await dialog.getByRole('radio', { name: /^Now \(prorated\)/ }).isChecked());
    assert.match(await dialog.getByTestId('plan-change-timing').textContent(), /^Applies now, from /);
    await checkPreview(dialog, preview);
    const problems = await checkAtWidths('plan-change-preview', () => dialog.getByTestId('plan-change-preview'));
    assert.deepEqual(problems, [], problems.join('\n'));

    const [request, response] = await Promise.all([
      page.waitForRequest(
        (r) => r.url().endsWith(`/api/v1/billing/subscriptions/${subscription.id}/change`) && r.method() === 'POST',
      ),
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/billing/subscriptions/${subscription.id}/change`)),
      dialog.getByRole('button', { name: 'Confirm change' }).click(),
    ]);
    assert.equal(response.status(), 200, await response.text());
    const headers = request.headers();
    assert.ok((headers['idempotency-key'] ?? '').length >= 16, 'Idempotency-Key of at least 16 characters');
    assert.ok(headers['x-csrf-token'], 'cookie sessions send the CSRF token');
    assert.deepEqual(JSON.parse(request.postData()), { plan: target.id, version: target.version, effective: 'now' });
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByTestId('plan-done')
      .filter({ hasText: `You are now on ${target.name}.` })
      .waitFor();
    await page.locator(`[data-testid="current-plan"][data-plan="${target.id}"]`).waitFor();
    assert.equal((await current.getByTestId('current-plan-name').textContent()).trim(), target.name);
    await page.locator(`article[data-plan="${target.id}"]`).getByTestId('current-plan-badge').waitFor();
    await page.getByRole('button', { name: `Change to ${original.name}` }).waitFor();
    const after = await api(`/api/v1/billing/subscriptions/${subscription.id}`);
    assert.equal(after.plan_id, target.id);
    await shot('51-plan-changed-now');
  });

  test('a member schedules a downgrade for the period end and keeps the current plan; cancels and reactivates', async () => {
    const now = await api(`/api/v1/billing/subscriptions/${subscription.id}`);
    const onPlan = plans.find((plan) => plan.id === now.plan_id);
    const cheapest = [...plans].sort((a, b) => a.base_fee.minor - b.base_fee.minor)[0];
    assert.notEqual(cheapest.id, onPlan.id);
    const periodEnd = now.current_period.end;
    const endDay = new Intl.DateTimeFormat('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      timeZone: 'UTC',
    }).format(new Date(periodEnd));

    // A downgrade applies at the period's end unless told otherwise: this period stays, the next is the new plan's.
    await page.getByRole('button', { name: `Change to ${cheapest.name}` }).click();
    const dialog = page.getByTestId('plan-change-dialog');
    await dialog.getByTestId('plan-change-preview').waitFor();
    assert.ok(await dialog.getByRole('radio', { name: /^At the end of the period/ }).isChecked());
    const preview = await previewFromApi(subscription.id, { plan: cheapest.id, version: cheapest.version });
    assert.equal(preview.change.effective, 'period_end');
    assert.equal(preview.change.effective_at, periodEnd);
    assert.deepEqual(
      preview.parts.map((part) => `${part.part} ${part.plan_id}`),
      [`before ${onPlan.id}`, `after ${cheapest.id}`],
    );
    assert.equal(preview.parts[1].prorated, false, 'the next period is a whole one');
    assert.equal(
      (await dialog.getByTestId('plan-change-timing').textContent()).trim(),
      `Applies at the end of the period, on ${endDay}.`,
    );
    await checkPreview(dialog, preview);
    await shot('52-plan-downgrade-preview');
    await dialog.getByRole('button', { name: 'Confirm change' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByTestId('plan-done')
      .filter({ hasText: `Your plan changes to ${cheapest.name} on ${endDay}.` })
      .waitFor();
    const note = page.getByTestId('plan-note-changing');
    await note.filter({ hasText: `Changes to ${cheapest.name} on ${endDay}.` }).waitFor();
    // Still on the plan until then.
    assert.equal(await page.getByTestId('current-plan').getAttribute('data-plan'), onPlan.id);
    await page.locator(`article[data-plan="${cheapest.id}"]`).getByTestId('scheduled-plan-badge').waitFor();
    assert.deepEqual((await api(`/api/v1/billing/subscriptions/${subscription.id}`)).scheduled_change, {
      plan_id: cheapest.id,
      plan_version: cheapest.version,
      effective_at: periodEnd,
    });
    await shot('53-plan-downgrade-scheduled');

    // Keep current plan withdraws it.
    const [withdraw] = await Promise.all([
      page.waitForResponse(
        (r) =>
          r.url().endsWith(`/api/v1/billing/subscriptions/${subscription.id}/scheduled-change`) &&
          r.request().method() === 'DELETE',
      ),
      note.getByRole('button', { name: 'Keep current plan' }).click(),
    ]);
    assert.equal(withdraw.status(), 200, await withdraw.text());
    await page
      .getByTestId('plan-done')
      .filter({ hasText: `Your plan stays ${onPlan.name}.` })
      .waitFor();
    await note.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('scheduled-plan-badge').count(), 0);
    assert.equal((await api(`/api/v1/billing/subscriptions/${subscription.id}`)).scheduled_change, null);

    // Cancel at the period's end (the default), then reactivate.
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    const cancel = page.getByTestId('cancel-dialog');
    await cancel.waitFor();
    assert.ok(await cancel.getByRole('radio', { name: /^At the end of the period/ }).isChecked());
    await cancel.getByRole('radio', { name: /^Now — final invoice for the part of the period used/ }).waitFor();
    const [cancelRequest] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith(`/api/v1/billing/subscriptions/${subscription.id}/cancel`)),
      cancel.getByRole('button', { name: 'Cancel subscription' }).click(),
    ]);
    assert.deepEqual(JSON.parse(cancelRequest.postData()), { at: 'period_end' });
    await cancel.waitFor({ state: 'detached' });
    await page
      .getByTestId('plan-done')
      .filter({ hasText: `Your subscription ends on ${endDay}.` })
      .waitFor();
    const ending = page.getByTestId('plan-note-ending');
    await ending.filter({ hasText: `Ends on ${endDay}.` }).waitFor();
    assert.equal((await page.getByTestId('subscription-status').textContent()).trim(), 'Ending');
    assert.equal(await page.getByRole('button', { name: 'Cancel subscription' }).count(), 0);
    assert.equal((await api(`/api/v1/billing/subscriptions/${subscription.id}`)).cancel_at, periodEnd);
    await shot('54-plan-ending');
    await ending.getByRole('button', { name: 'Reactivate' }).click();
    await ending.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Cancel subscription' }).waitFor();
    assert.equal((await api(`/api/v1/billing/subscriptions/${subscription.id}`)).cancel_at, null);

    // Back to the plan it started on, now: the timing is chosen, and the preview follows it.
    await awayFromHourBoundary();
    await page.getByRole('button', { name: `Change to ${original.name}` }).click();
    await dialog.getByTestId('plan-change-preview').waitFor();
    await dialog.getByRole('radio', { name: /^Now \(prorated\)/ }).check();
    await dialog.locator('[data-testid="plan-change-preview"][data-effective="now"]').waitFor();
    await checkPreview(
      dialog,
      await previewFromApi(subscription.id, { plan: original.id, version: original.version, effective: 'now' }),
    );
    await dialog.getByRole('button', { name: 'Confirm change' }).click();
    await page
      .getByTestId('plan-done')
      .filter({ hasText: `You are now on ${original.name}.` })
      .waitFor();
    await page.locator(`[data-testid="current-plan"][data-plan="${original.id}"]`).waitFor();
    const restored = await api(`/api/v1/billing/subscriptions/${subscription.id}`);
    assert.equal(restored.plan_id, original.id);
    assert.equal(restored.scheduled_change, null);
    assert.equal(restored.cancel_at, null);
  });

  test('without self-service the page says the administrator makes plan changes (API answered by the browser)', async () => {
    // The server here allows self-service; this is its answer when it does not.
    await page.route(`**/api/v1/billing/subscriptions/${subscription.id}/change`, (route) =>
      route.fulfill({
        status: 403,
        contentType: 'application/json',
        body: JSON.stringify({
          error: {
            code: 'self_service_disabled',
            message:
              'plan changes and cancellations are made by an administrator here (SELF_SERVICE_PLAN_CHANGES is off)',
            request_id: 'req_e2e_self_service',
          },
        }),
      }),
    );
    try {
      await page.reload();
      const other = plans.find((plan) => plan.id !== original.id);
      await page.getByRole('button', { name: `Change to ${other.name}` }).click();
      const dialog = page.getByTestId('plan-change-dialog');
      await dialog.getByTestId('plan-change-preview').waitFor();
      await dialog.getByRole('button', { name: 'Confirm change' }).click();
      await dialog
        .getByTestId('plan-change-error')
        .filter({ hasText: 'Plan changes are made by your account administrator.' })
        .waitFor();
      assert.ok(await dialog.getByRole('button', { name: 'Confirm change' }).isDisabled());
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page
        .getByTestId('plan-managed')
        .filter({ hasText: 'Plan changes are made by your account administrator.' })
        .waitFor();
      assert.equal(await page.getByRole('button', { name: /^Change to / }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Cancel subscription' }).count(), 0);
      await shot('55-plan-self-service-off');
    } finally {
      await page.unroute(`**/api/v1/billing/subscriptions/${subscription.id}/change`);
    }
    assert.equal((await api(`/api/v1/billing/subscriptions/${subscription.id}`)).plan_id, original.id);
    await logout();
  });

  test('a member in a free trial sees when it ends, to the day of the API', async () => {
    // The demo's trialing member (the test before signed out).
    await login('member@echo.demo');
    await page.goto('/billing/plan');
    const note = page.getByTestId('plan-note-trial');
    await note.waitFor();
    const usage = await api('/api/v1/billing/usage/current');
    const trialing = await api(`/api/v1/billing/subscriptions/${usage.subscription.id}`);
    assert.equal(trialing.status, 'trialing');
    const endDay = new Intl.DateTimeFormat('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      timeZone: 'UTC',
    }).format(new Date(trialing.trial.end));
    assert.match(await note.textContent(), new RegExp(`Free trial until ${endDay}`));
    assert.equal(await page.getByTestId('subscription-status').textContent(), 'Trial');
    // The current period is the trial itself.
    assert.equal(trialing.current_period.end, trialing.trial.end);
    await shot('56-plan-trial');
    // Payment methods live in Stripe's Customer Portal (answered here: nothing leaves the machine).
    await page.route('https://billing.stripe.com/**', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<title>Stripe portal (test)</title><h1>Portal</h1>',
      }),
    );
    await page.getByTestId('manage-payment-methods').click();
    await page.waitForURL((url) => url.hostname === 'billing.stripe.com' && url.pathname.startsWith('/p/session/'));
    await page.unroute('https://billing.stripe.com/**');
    await page.goto('/billing/plan');
    await page.getByTestId('plan-note-trial').waitFor();
    await logout();
  });
});

// ---------------------------------------------------------------------------
// Outgoing webhooks: a member adds an endpoint on a receiver of the test's own
// (127.0.0.1 over http: the server runs with WEBHOOK_ALLOW_PRIVATE_TARGETS),
// the admin causes an event for the member's customer, and the receiver checks
// the signature. The member's subscription is back as it was afterwards, and
// the endpoint is deleted.

const WEBHOOK_MEMBER = OTHER_MEMBER; // Acme Ads: no other test reads its subscription

/** An HTTP server on 127.0.0.1 that keeps every request (raw body included) and answers 200. */
async function startReceiver() {
  const received = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok from the e2e receiver');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return {
    received,
    port: receiver.address().port,
    close: () => new Promise((resolve) => receiver.close(resolve)),
  };
}

/** `check()`'s first truthy answer, asked every 200 ms for up to `ms`. */
async function waitUntil(check, what, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether Meterline-Signature (t=…,v1=…[,v1=…]) signs `body` with `secret`, as docs/webhooks.md says. */
function signedWith(header, body, secret) {
  const parts = header.split(',').map((part) => part.split('='));
  const t = parts.find(([key]) => key === 't')?.[1];
  if (!t || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts
    .filter(([key]) => key === 'v1')
    .some(([, hex]) => {
      const given = Buffer.from(hex, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe('outgoing webhooks', () => {
  let receiver;
  let adminApi;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await adminApi?.dispose();
    await receiver?.close();
  });

  test('a member adds a webhook endpoint, sees its secret once, gets a signed event, resends it, rotates the secret and deletes the endpoint', async () => {
    const problems = [];
    // Whoever an earlier test left signed in.
    await context.clearCookies();
    await login(WEBHOOK_MEMBER);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    const me = (await api('/api/v1/auth/me')).user;

    // In the main navigation, for members too; the page's h1 has focus after moving to it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL((url) => url.pathname === '/developers/webhooks');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.equal(await page.locator('main h1').count(), 1);
    assert.equal((await page.evaluate(() => document.activeElement.textContent)).trim(), 'Webhooks');
    assert.equal(await page.title(), 'Webhooks · Meterline');
    await page
      .getByTestId('endpoint-table')
      .or(page.getByRole('heading', { name: 'No webhook endpoints yet' }))
      .first()
      .waitFor();

    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByTestId('endpoint-dialog');
    const endpointsPosted = (r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/webhook-endpoints');
    // Nothing filled in: each problem under its field, and no request.
    let posts = 0;
    const countPosts = (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/webhook-endpoints')) posts += 1;
    };
    page.on('request', countPosts);
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const url = dialog.getByLabel('URL');
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    assert.ok((await describedTexts(url)).includes('Enter the URL Meterline posts events to.'));
    await dialog.getByText('Choose the events to send, or All events.').waitFor();
    // The first field with a problem has focus.
    await page.waitForFunction(() => document.activeElement?.closest('[data-field]')?.dataset.field === 'url');
    page.off('request', countPosts);
    assert.equal(posts, 0);

    // A scheme the server refuses: its message is shown under the URL field.
    await url.fill('ftp://127.0.0.1/meterline');
    await dialog.getByRole('checkbox', { name: /^All events/ }).check();
    const [refused] = await Promise.all([
      page.waitForResponse(endpointsPosted),
      dialog.getByRole('button', { name: 'Add endpoint' }).click(),
    ]);
    assert.equal(refused.status(), 400);
    assert.equal((await refused.json()).error.param, 'url');
    await dialog.getByText(/must use https/i).waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    assert.ok((await describedTexts(url)).some((text) => /must use https/i.test(text)));

    // All events: every type is ticked and cannot be changed one by one; no platform events for a member.
    const target = `http://127.0.0.1:${receiver.port}/meterline`;
    await url.fill(target);
    await dialog.getByLabel('Description').fill('e2e receiver');
    const paid = dialog.getByRole('checkbox', { name: /^invoice\.paid/ });
    assert.ok(await paid.isChecked());
    assert.ok(await paid.isDisabled());
    assert.equal(await dialog.getByRole('checkbox', { name: /^reconciliation\.alert/ }).count(), 0);
    problems.push(...(await checkAtWidths('webhook-endpoint-dialog', () => dialog)));
    const [response] = await Promise.all([
      page.waitForResponse(endpointsPosted),
      dialog.getByRole('button', { name: 'Add endpoint' }).click(),
    ]);
    assert.equal(response.status(), 201, await response.text());
    assert.match(response.request().headers()['idempotency-key'], /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(response.request().postData()), {
      url: target,
      events: ['*'],
      description: 'e2e receiver',
    });
    const created = await response.json();
    assert.match(created.secret, /^whsec_/);
    assert.equal(created.customer_id, me.customer_id);

    // The secret, once, with a Copy button.
    const secretDialog = page.getByTestId('webhook-secret-dialog');
    await secretDialog.getByText('Copy the secret now: it will not be shown again.').waitFor();
    assert.equal(await secretDialog.getByTestId('webhook-secret').inputValue(), created.secret);
    await secretDialog.getByRole('button', { name: 'Copy' }).click();
    await secretDialog.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), created.secret);
    await shot('70-webhook-secret');
    problems.push(...(await checkAtWidths('webhook-secret', () => secretDialog)));
    await secretDialog.getByRole('button', { name: 'I have copied it' }).click();
    await secretDialog.waitFor({ state: 'detached' });

    const row = page.locator(`tr[data-endpoint="${created.id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'enabled');
    assert.equal((await row.getByTestId('endpoint-events').textContent()).trim(), 'All events');
    assert.equal((await row.getByTestId('endpoint-status').textContent()).trim(), 'Enabled');
    assert.match(await row.textContent(), /e2e receiver/);
    assert.ok(!(await page.content()).includes(created.secret), 'the secret is not on the page any more');
    await shot('71-webhook-endpoints');
    problems.push(...(await checkAtWidths('webhook-endpoints', () => row)));
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await row.waitFor();
      problems.push(...(await layoutReport(page)).problems.map((p) => `${width} px webhook-endpoints: ${p}`));
    }
    await page.setViewportSize({ width: 1280, height: 860 });

    // The admin cancels the member's subscription at the period's end and reactivates it: two subscription.updated.
    const subscriptionId = (await api('/api/v1/billing/usage/current')).subscription.id;
    adminApi = await request.newContext({ baseURL: server.baseUrl });
    const signIn = await adminApi.post('/api/v1/auth/login', { data: { email: ADMIN, password: DEMO_PASSWORD } });
    assert.equal(signIn.status(), 200, await signIn.text());
    const headers = { 'X-CSRF-Token': (await signIn.json()).csrf_token };
    const subscriptionPath = `/api/v1/billing/subscriptions/${subscriptionId}`;
    const cancel = await adminApi.post(`${subscriptionPath}/cancel`, { data: { at: 'period_end' }, headers });
    assert.equal(cancel.status(), 200, await cancel.text());
    const reactivated = await adminApi.post(`${subscriptionPath}/reactivate`, { data: {}, headers });
    assert.equal(reactivated.status(), 200, await reactivated.text());
    assert.equal((await reactivated.json()).cancel_at, null);

    // billingd's delivery job (every second) posts the first to the receiver, signed with the secret.
    const first = await waitUntil(
      () => receiver.received.find((r) => JSON.parse(r.body).type === 'subscription.updated'),
      'the receiver to get subscription.updated',
    );
    assert.equal(first.method, 'POST');
    assert.equal(first.url, '/meterline');
    assert.ok(
      signedWith(first.headers['meterline-signature'], first.body, created.secret),
      `Meterline-Signature ${first.headers['meterline-signature']} signs the body with the secret`,
    );
    assert.ok(!signedWith(first.headers['meterline-signature'], first.body, 'whsec_not_the_secret'));
    const event = JSON.parse(first.body);
    assert.equal(first.headers['meterline-event-id'], event.id);
    assert.equal(event.customer_id, me.customer_id);
    assert.equal(event.data.object.subscription_id, subscriptionId);
    assert.ok(event.data.object.cancel_at, 'the first event is the cancellation');

    // The delivery log says it succeeded.
    const deliveriesPath = `/api/v1/webhook-endpoints/${created.id}/deliveries`;
    const delivered = await waitUntil(
      async () =>
        (await api(`${deliveriesPath}?limit=100`)).data.find(
          (d) => d.event_id === event.id && d.status === 'succeeded',
        ),
      'the delivery to be succeeded',
    );
    await row.getByRole('link', { name: /^Deliveries/ }).click();
    await page.waitForURL((u) => u.pathname === `/developers/webhooks/${created.id}`);
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.equal(await page.locator('main h1').count(), 1);
    assert.equal(await page.title(), 'Webhook deliveries · Meterline');
    await page.getByTestId('endpoint-url').filter({ hasText: target }).waitFor();
    const deliveryRow = page.locator(`tr[data-delivery="${delivered.id}"]`);
    await deliveryRow.waitFor();
    assert.equal(await deliveryRow.getAttribute('data-status'), 'succeeded');
    assert.equal(await deliveryRow.getAttribute('data-event'), event.id);
    assert.equal((await deliveryRow.getByTestId('delivery-status').textContent()).trim(), 'Succeeded');
    assert.equal((await deliveryRow.getByTestId('delivery-answer').textContent()).trim(), 'HTTP 200');
    assert.match(await deliveryRow.textContent(), /subscription\.updated/);
    // Newest first, as the API lists them.
    const listed = (await api(`${deliveriesPath}?limit=20`)).data.map((d) => d.id);
    assert.deepEqual(
      await page
        .locator('[data-testid=delivery-table] tbody tr[data-delivery]')
        .evaluateAll((rows) => rows.map((r) => r.dataset.delivery)),
      listed,
    );

    // Its attempts open in place: the answer's status and first bytes.
    const attemptsButton = deliveryRow.getByRole('button', { name: /^Attempts/ });
    await attemptsButton.click();
    assert.equal(await attemptsButton.getAttribute('aria-expanded'), 'true');
    const attempts = page.locator(`tr[data-attempts-for="${delivered.id}"]`).getByTestId('attempt');
    await attempts.first().waitFor();
    assert.match(await attempts.first().textContent(), /HTTP 200/);
    assert.match(await attempts.first().textContent(), /ok from the e2e receiver/);
    await shot('72-webhook-deliveries');

    // Resend: the receiver gets the same event id again, and the log has an attempt a person asked for.
    const sentBefore = receiver.received.filter((r) => r.headers['meterline-event-id'] === event.id).length;
    const [resent] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`${deliveriesPath}/${delivered.id}/redeliver`)),
      deliveryRow.getByRole('button', { name: /^Resend/ }).click(),
    ]);
    assert.equal(resent.status(), 200, await resent.text());
    await page
      .locator(`[data-message-for="${delivered.id}"]`)
      .getByText(/Queued to be sent again/)
      .waitFor();
    await waitUntil(
      () => receiver.received.filter((r) => r.headers['meterline-event-id'] === event.id).length > sentBefore,
      'the event to be sent again',
    );
    await waitUntil(async () => {
      const again = await api(`${deliveriesPath}/${delivered.id}`);
      return again.status === 'succeeded' && again.attempt_log.some((a) => a.manual);
    }, 'the resent attempt in the log');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await attempts.filter({ hasText: 'Resent' }).waitFor();
    problems.push(...(await checkAtWidths('webhook-deliveries', () => deliveryRow)));
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await deliveryRow.waitFor();
      problems.push(...(await layoutReport(page)).problems.map((p) => `${width} px webhook-deliveries: ${p}`));
    }
    await page.setViewportSize({ width: 1280, height: 860 });

    // The status filter is in the URL.
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL((u) => u.searchParams.get('status') === 'failed');
    await page.getByRole('heading', { name: 'No failed deliveries' }).waitFor();
    await page.getByRole('button', { name: 'Show every status' }).click();
    await page.waitForURL((u) => !u.searchParams.has('status'));
    await deliveryRow.waitFor();

    // Rotate asks first, then shows the new secret once; the old one keeps signing for 24 hours.
    await page.getByRole('link', { name: 'Back to webhooks' }).click();
    await page.waitForURL((u) => u.pathname === '/developers/webhooks');
    await row.getByRole('button', { name: /^Rotate secret/ }).click();
    const confirmRotate = page.getByTestId('confirm-rotate-secret');
    await confirmRotate.getByText(/keeps signing deliveries beside the new one for 24 hours/).waitFor();
    const [rotation] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/webhook-endpoints/${created.id}/rotate-secret`)),
      confirmRotate.getByRole('button', { name: 'Rotate secret' }).click(),
    ]);
    assert.equal(rotation.status(), 200, await rotation.text());
    assert.deepEqual(JSON.parse(rotation.request().postData()), { overlap_hours: 24 });
    const rotated = await rotation.json();
    assert.match(rotated.secret, /^whsec_/);
    assert.notEqual(rotated.secret, created.secret);
    const overlap = Date.parse(rotated.previous_secret_expires_at) - Date.now();
    assert.ok(Math.abs(overlap - 24 * 3_600_000) < 120_000, `the old secret signs for 24 hours: ${overlap} ms`);
    assert.equal(await secretDialog.getByTestId('webhook-secret').inputValue(), rotated.secret);
    assert.match(await secretDialog.getByTestId('rotation-overlap').textContent(), /old secret keeps signing/);
    await shot('73-webhook-secret-rotated');
    await secretDialog.getByRole('button', { name: 'I have copied it' }).click();
    await secretDialog.waitFor({ state: 'detached' });

    // Delete asks first; the endpoint is gone from the page and the API.
    await row.getByRole('button', { name: /^Delete/ }).click();
    const confirmDelete = page.getByTestId('confirm-delete-endpoint');
    await confirmDelete.getByRole('heading', { name: 'Delete the endpoint?' }).waitFor();
    const [deleted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(created.id)),
      confirmDelete.getByRole('button', { name: 'Delete endpoint' }).click(),
    ]);
    assert.equal(deleted.status(), 200, await deleted.text());
    await page.getByTestId('endpoint-deleted').waitFor();
    await row.waitFor({ state: 'detached' });
    assert.ok(!(await api('/api/v1/webhook-endpoints?limit=100')).data.some((e) => e.id === created.id));
    await logout();
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});

// ---------------------------------------------------------------------------
// Dunning: the demo's Delta Apps has a failed payment on its latest invoice,
// retried on a schedule (an active dunning campaign, docs/dunning.md).

const DUNNING_MEMBER = 'member@delta.demo';

describe('dunning', () => {
  test('a member whose payment failed sees the past-due banner on every page and the retries on the invoice; an admin sees no banner', async () => {
    const problems = [];
    const found = [];
    // Whoever an earlier test left signed in.
    await context.clearCookies();
    await login(DUNNING_MEMBER);
    const campaigns = await api('/api/v1/billing/dunning-campaigns?state=active&limit=5');
    assert.equal(campaigns.data.length, 1, 'the demo has one active dunning campaign, for Delta Apps');
    const [campaign] = campaigns.data;
    assert.ok(campaign.next_attempt_at, 'a retry is scheduled');
    const invoice = await api(`/api/v1/billing/invoices/${campaign.invoice_id}`);
    const day = (iso) =>
      new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
        new Date(iso),
      );
    const next = `${campaign.attempts_made + 1} of ${campaign.attempts_total}`;

    // The banner: an alert named by what happened, with the next retry and what to do.
    const banner = page.getByTestId('past-due-banner');
    await banner.waitFor();
    await page.getByRole('alert', { name: `Payment failed for invoice ${invoice.number}.` }).waitFor();
    const text = (await banner.textContent()).replace(/\s+/g, ' ');
    assert.ok(text.includes(`We will retry on ${day(campaign.next_attempt_at)} (retry ${next}).`), text);
    assert.ok(text.includes('Update your payment method or pay now to keep your subscription active.'), text);
    await shot('80-past-due-banner');
    // On every page: also outside billing.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL((url) => url.pathname === '/developers/webhooks');
    await banner.waitFor();

    // Its link opens the invoice, whose "Payment retries" section says where the retries stand.
    await banner.getByRole('link', { name: 'View invoice' }).click();
    await page.waitForURL((url) => url.pathname === `/billing/invoices/${invoice.id}`);
    const section = page.getByTestId('invoice-dunning');
    await section.getByRole('heading', { name: 'Payment retries' }).waitFor();
    assert.equal((await section.getByTestId('dunning-state').textContent()).trim(), 'Retrying');
    assert.equal(
      (await section.getByTestId('dunning-retries-made').textContent()).trim(),
      `${campaign.attempts_made} of ${campaign.attempts_total}`,
    );
    const nextRetry = await section.getByTestId('dunning-next-retry').textContent();
    assert.ok(nextRetry.includes(day(campaign.next_attempt_at)), nextRetry);
    assert.ok(nextRetry.includes(`Retry ${next}`), nextRetry);
    const finalAction = {
      mark_uncollectible: 'the invoice is marked uncollectible',
      cancel_subscription: 'the subscription is canceled',
      leave_past_due: 'the invoice stays open and the subscription stays past due',
    }[campaign.final_action];
    assert.equal(
      (await section.getByTestId('dunning-final-action').textContent()).trim(),
      `After the last retry: ${finalAction}.`,
    );
    if (campaign.attempts.length === 0) await section.getByTestId('dunning-no-attempts').waitFor();
    else assert.equal(await section.locator('tbody tr').count(), campaign.attempts.length);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width < 900 ? 844 : 860 });
      await banner.waitFor();
      found.push(...(await axeViolations(page, `member invoice with retries @${width}`)));
      problems.push(...(await layoutReport(page)).problems.map((x) => `${width} px invoice with retries: ${x}`));
      await shot(width < 900 ? '81b-invoice-payment-retries-phone' : '81-invoice-payment-retries');
    }
    await page.setViewportSize({ width: 1280, height: 860 });

    // "Update your payment method" leads to the Plan page, where the subscription is past due.
    await banner.getByRole('link', { name: 'Update payment method' }).click();
    await page.waitForURL((url) => url.pathname === '/billing/plan');
    await page.getByTestId('subscription-status').filter({ hasText: 'Past due' }).waitFor();
    await logout();

    // An admin is not asked about dunning on sign-in and sees no banner, also on that invoice.
    const asked = [];
    const onRequest = (request) => {
      if (request.url().includes('/api/v1/billing/dunning-campaigns')) asked.push(request.url());
    };
    page.on('request', onRequest);
    try {
      await login(ADMIN);
      await page.goto(`/billing/invoices/${invoice.id}?customer=${invoice.customer_id}`);
      await page.getByTestId('invoice-dunning').getByTestId('dunning-state').waitFor();
      assert.equal(await page.getByTestId('past-due-banner').count(), 0);
      assert.deepEqual(asked, []);
      await logout();
    } finally {
      page.off('request', onRequest);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);
  });
});

// ---------------------------------------------------------------------------
// Forecast and budget (issue 20): the Usage page projects the period to its
// end as GET /billing/usage/forecast has it, and keeps the member's monthly
// budget (GET/PUT/DELETE /billing/budget), set, shown and removed here.

describe('forecast and budget', () => {
  test('a member sees the forecast of the period with its band, and sets, sees and removes a monthly budget', async () => {
    const problems = [];
    const found = [];
    await context.clearCookies();
    await login(MEMBER);
    await page.goto('/billing/usage');
    const forecast = await api('/api/v1/billing/usage/forecast');
    const day = (iso) =>
      new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(iso));

    // The projected invoice, to the cent of the API, before tax.
    const card = page.getByTestId('forecast');
    const { expected, lower, upper } = forecast.invoice;
    const invoiceText =
      lower.minor === upper.minor
        ? `Projected invoice: ≈ ${money(expected)}, before tax`
        : `Projected invoice: ≈ ${money(expected)} (between ${money(lower)} and ${money(upper)}), before tax`;
    await card.getByTestId('forecast-invoice').filter({ hasText: invoiceText }).waitFor();
    if (forecast.days_observed < 3) {
      await card.getByTestId('forecast-note').filter({ hasText: 'the range is wide' }).first().waitFor();
    }

    // The first metric is shown: its projection in words, the limit crossing, and the chart with its band.
    const [metric] = forecast.metrics;
    assert.equal(await card.getByTestId('forecast-metric').inputValue(), metric.metric);
    if (metric.basis_days === 0) {
      await card.getByTestId('forecast-note').filter({ hasText: 'it needs some usage first' }).waitFor();
    } else {
      const summary = (await card.getByTestId('forecast-summary').textContent()).trim();
      assert.ok(summary.startsWith('Projected at period end: '), summary);
      if (metric.projected.lower !== metric.projected.upper) assert.match(summary, /\(.+–.+\)$/);
      const crossing =
        metric.limit <= 0
          ? 'No units are included in the plan: all usage is charged'
          : metric.usage_so_far >= metric.limit
            ? `Reached the limit on ${day(metric.limit_crossed_at)}`
            : metric.limit_crossed_at
              ? `Projected to reach the limit on ${day(metric.limit_crossed_at)}`
              : 'Not projected to reach the limit this period';
      assert.equal((await card.getByTestId('forecast-crossing').textContent()).trim(), crossing);
      if (metric.model === 'trend_weekly') {
        const chart = card.getByTestId('forecast-chart');
        await chart.locator('svg[role="img"]').waitFor();
        const band = chart.getByTestId('forecast-band');
        assert.equal(await band.count(), 1);
        // A shape with an area once there are days to come (its path closes on itself).
        if (forecast.days_observed < forecast.period_days) assert.match(await band.getAttribute('d'), /^M.+Z$/);
        if (metric.limit > 0) assert.ok((await chart.getByTestId('forecast-limit').textContent()).startsWith('Limit '));
      }
    }

    // The budget: none yet (or the one the demo set, changed here and put back at the end).
    const budgetCard = page.getByTestId('budget-card');
    const existing = await context.request.get('/api/v1/billing/budget');
    const previous = existing.status() === 200 ? await existing.json() : null;
    if (!previous) assert.equal(existing.status(), 404);
    await budgetCard.getByTestId(previous ? 'budget-amount' : 'budget-none').waitFor();
    await budgetCard.getByRole('button', { name: previous ? 'Change budget' : 'Set a budget' }).click();
    const dialog = page.getByTestId('budget-dialog');
    const amount = dialog.getByLabel(`Amount (${forecast.currency})`);
    // More decimals than the currency has: refused on the field, nothing sent.
    await amount.fill('12.345');
    await dialog.getByRole('button', { name: 'Save budget' }).click();
    await dialog.locator('.field-error').filter({ hasText: 'decimals at most' }).waitFor();
    assert.equal(await amount.getAttribute('aria-invalid'), 'true');
    // "1,234.56" is sent as exact minor units.
    await amount.fill('1,234.56');
    const [put] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/billing/budget') && r.request().method() === 'PUT'),
      dialog.getByRole('button', { name: 'Save budget' }).click(),
    ]);
    assert.equal(put.status(), 200, await put.text());
    assert.deepEqual(put.request().postDataJSON(), { amount_minor: 123456 });
    await dialog.waitFor({ state: 'detached' });
    const budget = await api('/api/v1/billing/budget');
    assert.equal(budget.amount.minor, 123456);
    await budgetCard
      .getByTestId('budget-amount')
      .filter({ hasText: money(budget.amount) })
      .waitFor();
    const percent = `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(budget.spend_percent)}%`;
    assert.equal(
      (await budgetCard.getByTestId('budget-spend').textContent()).trim(),
      `${money(budget.spend)} of ${money(budget.amount)} spent so far (${percent})`,
    );
    const bar = budgetCard.getByRole('progressbar');
    assert.equal(
      Number(await bar.getAttribute('aria-valuenow')),
      Math.round(Math.min(100, Math.max(0, budget.spend_percent))),
    );
    const over = { minor: budget.forecast.minor - budget.amount.minor, currency: budget.amount.currency };
    assert.equal(
      (await budgetCard.getByTestId('budget-forecast').textContent()).trim(),
      budget.forecast_exceeds
        ? `Projected to exceed your budget by ${money(over)}`
        : `On track: projected ${money(budget.forecast)} of ${money(budget.amount)}`,
    );
    // The page with the forecast and the budget fits and passes axe-core, on a desktop and a phone.
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width < 900 ? 844 : 860 });
      await card.getByTestId('forecast-invoice').waitFor();
      await page.evaluate(() => document.fonts.ready);
      found.push(...(await axeViolations(page, `usage with forecast and budget @${width}`)));
      problems.push(...(await layoutReport(page)).problems.map((x) => `${width} px usage with budget: ${x}`));
      await shot(width < 900 ? '85b-usage-forecast-budget-phone' : '85-usage-forecast-budget');
    }
    await page.setViewportSize({ width: 1280, height: 860 });

    // Removed after asking; the card offers to set one again.
    await budgetCard.getByRole('button', { name: 'Remove budget' }).click();
    const confirm = page.getByTestId('confirm-remove-budget');
    const [removed] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/billing/budget') && r.request().method() === 'DELETE'),
      confirm.getByRole('button', { name: 'Remove budget' }).click(),
    ]);
    assert.equal(removed.status(), 200, await removed.text());
    await budgetCard.getByTestId('budget-none').waitFor();
    await budgetCard.getByTestId('budget-done').filter({ hasText: 'Budget removed.' }).waitFor();
    assert.equal((await context.request.get('/api/v1/billing/budget')).status(), 404);
    if (previous) {
      const restored = await context.request.put('/api/v1/billing/budget', {
        headers: { 'X-CSRF-Token': await csrfToken() },
        data: { amount_minor: previous.amount.minor },
      });
      assert.equal(restored.status(), 200, await restored.text());
    }
    await logout();
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);
  });
});

// ---------------------------------------------------------------------------
// Analytics (admins): the headline figures, the charts and the top customers
// as billingd answers them (`billingd serve` builds the summaries at start, so
// the demo data has them), a refresh, and an export downloaded by its link.

/** What the console shows for a time: "Nov 30, 2026, 10:31 PM UTC" (formatDateTime). */
function dateTime(iso) {
  return new Intl.DateTimeFormat('en-US', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  }).format(new Date(iso));
}

/** A YYYY-MM-DD date moved by whole days. */
function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The analytics page with every card loaded and its charts drawn. */
const ANALYTICS_LOADED = [
  '.analytics',
  ':has([data-testid=top-customers-table])',
  ':has([data-testid=mrr-chart] svg)',
  ':has([data-testid=revenue-chart] svg)',
  ':has([data-testid=aging-chart] svg)',
].join('');

/** The answer of the analytics route `name` (mrr, revenue, top-customers, ar-aging) the page asks next. */
function analyticsAnswer(name, method = 'GET') {
  return page.waitForResponse(
    (r) => new URL(r.url()).pathname === `/api/v1/admin/analytics/${name}` && r.request().method() === method,
  );
}

/** The headline figures and the charts' summaries against the answers the page got. */
async function checkAnalytics(mrr, revenue, aging) {
  const usd = mrr.currencies.find((c) => c.currency === 'USD');
  const text = async (testId) => (await page.getByTestId(testId).locator('.stat-value').textContent()).trim();
  assert.equal(await text('stat-mrr'), money(usd.mrr));
  assert.equal(await text('stat-arr'), money(usd.arr));
  assert.equal(await text('stat-customers'), usd.paying_customers.toLocaleString('en-US'));
  assert.equal(await text('stat-arpu'), money(usd.arpu));
  assert.equal(
    await text('stat-nrr'),
    usd.net_revenue_retention_12m === null ? '—' : `${usd.net_revenue_retention_12m}%`,
  );
  const receivables = aging.currencies.find((c) => c.currency === 'USD');
  assert.equal(await text('stat-outstanding'), money(receivables.outstanding));
  await page
    .getByTestId('analytics-as-of')
    .filter({ hasText: `Figures as of ${dateTime(mrr.as_of)}` })
    .waitFor();
  assert.equal(await page.getByTestId('analytics-as-of').locator('time').getAttribute('datetime'), mrr.as_of);

  // The charts, found by what they say to a screen reader.
  const trend = page.getByRole('img', { name: /^Monthly recurring revenue in USD/ });
  assert.match(await trend.getAttribute('aria-label'), new RegExp(`: ${literal(money(usd.mrr))} now`));
  assert.equal(await page.getByTestId('mrr-chart').locator('circle').count(), usd.months.length);
  const movements = page.getByRole('img', { name: /^MRR movements in USD/ });
  const newTotal = usd.months.reduce((sum, m) => sum + m.new.minor, 0);
  assert.match(
    await movements.getAttribute('aria-label'),
    new RegExp(`new ${literal(money({ minor: newTotal, currency: 'USD' }))}`),
  );
  const moved = usd.months.reduce(
    (n, m) => n + ['new', 'expansion', 'reactivation', 'contraction', 'churned'].filter((k) => m[k].minor !== 0).length,
    0,
  );
  assert.equal(await movements.locator('rect[data-movement]').count(), moved);

  const revenueUsd = revenue.currencies.find((c) => c.currency === 'USD');
  const byPlan = page.getByRole('img', { name: /^Revenue by plan per month in USD/ });
  assert.match(await byPlan.getAttribute('aria-label'), new RegExp(`: ${literal(money(revenueUsd.total))} in total; `));
  const parts = revenueUsd.months.reduce((n, m) => n + m.by_plan.filter((p) => p.amount.minor !== 0).length, 0);
  assert.ok(parts > 0, 'the demo data has revenue by plan');
  assert.equal(await byPlan.locator('rect[data-plan]').count(), parts);
  assert.equal((await page.getByTestId('revenue-total').textContent()).trim(), money(revenueUsd.total));

  const agingChart = page.getByRole('img', { name: /^Receivables by days past due in USD/ });
  assert.match(
    await agingChart.getAttribute('aria-label'),
    new RegExp(`: ${literal(money(receivables.outstanding))} outstanding on ${receivables.invoices} invoice`),
  );
  assert.deepEqual(
    await agingChart.locator('.aging-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-bucket'))),
    ['current', '1_30', '31_60', '61_90', 'over_90'],
  );

  // Invoices by status: a row per status, with the API's count and total.
  const statuses = page.getByTestId('status-table').locator('tbody tr');
  assert.equal(await statuses.count(), revenueUsd.invoices_by_status.length);
  for (const row of revenueUsd.invoices_by_status) {
    const cells = page.locator(`[data-testid=status-table] tr[data-status="${row.status}"] td`);
    assert.deepEqual(await cells.allTextContents(), [String(row.invoices), money(row.total)]);
  }
}

/** A string matched as itself in a RegExp. */
function literal(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The top customers table against an answer: one row per customer, in order, with both amounts. */
async function checkTopCustomers(top) {
  const customers = top.currencies.find((c) => c.currency === 'USD')?.customers ?? [];
  assert.ok(customers.length > 0, `the demo data has top customers by ${top.by}`);
  const table = page.getByTestId('top-customers-table');
  await page.locator(`[data-testid=top-customers-table][data-by="${top.by}"]`).waitFor();
  const rows = table.locator('tbody tr');
  assert.equal(await rows.count(), customers.length);
  for (const [index, customer] of customers.entries()) {
    const row = rows.nth(index);
    assert.equal(await row.getAttribute('data-customer'), customer.customer_id);
    assert.equal((await row.getByRole('rowheader').textContent()).trim(), `${index + 1}.${customer.name}`);
    assert.deepEqual(await row.locator('td').allTextContents(), [money(customer.revenue), money(customer.usage)]);
  }
}

describe('analytics', () => {
  test('an admin reads MRR, revenue by plan, receivables and top customers, refreshes them and exports rows', async () => {
    const problems = [];
    await login(ADMIN);
    // From the navigation; the page's answers are caught on their way, to check the page shows exactly them
    // (billingd refreshes the summaries on its own too, every ANALYTICS_REFRESH_SECONDS).
    const [mrrAnswer, revenueAnswer, agingAnswer, topAnswer] = await Promise.all([
      analyticsAnswer('mrr'),
      analyticsAnswer('revenue'),
      analyticsAnswer('ar-aging'),
      analyticsAnswer('top-customers'),
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).click(),
    ]);
    await page.waitForURL((url) => url.pathname === '/admin/analytics');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.match(await page.evaluate(() => document.activeElement.textContent), /Admin: Analytics/);
    assert.equal(new URL(mrrAnswer.url()).searchParams.get('months'), '12');
    assert.equal(new URL(topAnswer.url()).searchParams.get('by'), 'revenue');
    const mrr = await mrrAnswer.json();
    const revenue = await revenueAnswer.json();
    const aging = await agingAnswer.json();
    const top = await topAnswer.json();
    assert.ok(mrr.as_of, 'billingd serve builds the summaries at start');
    // The demo data is in dollars only: one currency, no switcher.
    assert.deepEqual(
      mrr.currencies.map((c) => c.currency),
      ['USD'],
    );
    assert.ok(mrr.currencies[0].mrr.minor > 0, 'the demo data has MRR');
    await page.locator(ANALYTICS_LOADED).waitFor();
    assert.equal((await page.getByTestId('analytics-currency').textContent()).trim(), 'Amounts in USD');
    await checkAnalytics(mrr, revenue, aging);
    await checkTopCustomers(top);
    assert.ok(
      top.currencies[0].customers.some((c) => c.name === 'Delta Apps'),
      'the demo customers are among the top customers',
    );

    // By usage: asked of the API, kept in the URL through a reload, and back.
    const [usageAnswer] = await Promise.all([
      analyticsAnswer('top-customers'),
      page.getByRole('group', { name: 'Rank customers by' }).getByRole('button', { name: 'Usage' }).click(),
    ]);
    assert.equal(new URL(usageAnswer.url()).searchParams.get('by'), 'usage');
    await page.waitForURL((url) => url.searchParams.get('by') === 'usage');
    const byUsage = await usageAnswer.json();
    await checkTopCustomers(byUsage);
    assert.equal(
      await page
        .getByRole('group', { name: 'Rank customers by' })
        .getByRole('button', { name: 'Usage' })
        .getAttribute('aria-pressed'),
      'true',
    );
    await page.reload();
    await page.locator(ANALYTICS_LOADED).waitFor();
    await page.locator('[data-testid=top-customers-table][data-by="usage"]').waitFor();
    await page.getByRole('group', { name: 'Rank customers by' }).getByRole('button', { name: 'Revenue' }).click();
    await page.waitForURL((url) => !url.searchParams.has('by'));
    await page.locator('[data-testid=top-customers-table][data-by="revenue"]').waitFor();

    // Refresh now: a POST with the CSRF token; the page then shows the new summaries and their time.
    const [refreshAnswer, mrrAfter, revenueAfter, agingAfter, topAfter] = await Promise.all([
      analyticsAnswer('refresh', 'POST'),
      analyticsAnswer('mrr'),
      analyticsAnswer('revenue'),
      analyticsAnswer('ar-aging'),
      analyticsAnswer('top-customers'),
      page.getByRole('button', { name: 'Refresh now' }).click(),
    ]);
    assert.equal(refreshAnswer.status(), 200, await refreshAnswer.text());
    assert.ok(refreshAnswer.request().headers()['x-csrf-token'], 'cookie sessions send the CSRF token');
    const refreshed = await refreshAnswer.json();
    assert.equal(refreshed.object, 'analytics.refresh');
    assert.ok(refreshed.invoices > 0);
    await page
      .getByTestId('refresh-status')
      .filter({ hasText: `Refreshed ${dateTime(refreshed.refreshed_at)}` })
      .waitFor();
    const after = await mrrAfter.json();
    assert.equal(after.as_of, refreshed.refreshed_at);
    await page.locator(`[data-testid=analytics-as-of] time[datetime="${refreshed.refreshed_at}"]`).waitFor();
    await page.getByRole('button', { name: 'Refresh now' }).and(page.locator(':enabled')).waitFor();
    await checkAnalytics(after, await revenueAfter.json(), await agingAfter.json());
    await checkTopCustomers(await topAfter.json());
    await shot('90-admin-analytics');

    // Export: the link is the export's URL, both days included (the API's `to` is the day after).
    const first = revenue.currencies[0].months.find((m) => m.total.minor !== 0).month;
    const from = `${first}-01`;
    const to = new Date().toISOString().slice(0, 10);
    const exportCard = page.getByTestId('export-card');
    await exportCard.getByLabel('Rows').selectOption('invoice_lines');
    await exportCard.getByLabel('From').fill(from);
    await exportCard.getByLabel('To (included)').fill(to);
    await exportCard.getByLabel('Format').selectOption('jsonl');
    const link = exportCard.getByRole('link', { name: 'Download JSON Lines' });
    const href = `/api/v1/admin/exports/invoice_lines?from=${from}&to=${addDays(to, 1)}&format=jsonl`;
    await page.locator(`[data-testid=export-link][href="${href}"]`).waitFor();
    assert.equal(await link.getAttribute('href'), href);
    // A plain link: the session cookie is its authentication. The file is the server's.
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), `invoice_lines-${from}-${addDays(to, 1)}.jsonl`);
    const lines = (await readFile(await download.path(), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.ok(lines.length > 0, 'the demo invoices have lines');
    assert.ok(lines.every((line) => line.invoice_id && line.currency === 'USD' && Number.isInteger(line.amount_minor)));
    // The CSV of the invoices by the same kind of link.
    await exportCard.getByLabel('Rows').selectOption('invoices');
    await exportCard.getByLabel('Format').selectOption('csv');
    const csvHref = await exportCard.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    assert.equal(csvHref, `/api/v1/admin/exports/invoices?from=${from}&to=${addDays(to, 1)}&format=csv`);
    const csv = await context.request.get(csvHref);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /^text\/csv/);
    assert.match(await csv.text(), /^id,number,customer_id,/);
    // A range that ends before it starts has no link, and says why.
    await exportCard.getByLabel('To (included)').fill(addDays(from, -1));
    await exportCard.getByTestId('export-summary').filter({ hasText: 'The last day is before the first.' }).waitFor();
    assert.equal(await exportCard.getByTestId('export-link').count(), 0);
    assert.equal(await exportCard.getByRole('button', { name: 'Download' }).isDisabled(), true);
    await exportCard.getByLabel('To (included)').fill(to);
    await exportCard.getByTestId('export-link').waitFor();

    // A chart's figures open as a table; the page fits and passes axe-core on a desktop and a phone.
    await page.locator('summary', { hasText: 'Revenue by month' }).click();
    await page.locator('[data-testid=revenue-chart] .chart-table[open] table').waitFor();
    problems.push(...(await checkAtWidths('admin-analytics', () => page.locator(ANALYTICS_LOADED))));
    await logout();
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('each currency is shown on its own, with churn below the axis and the smaller plans together (API answered by the browser)', async () => {
    // Two currencies, MRR lost as well as won, seven plans and receivables in every bucket:
    // what the demo data does not have. Every analytics route is answered here.
    const amount = (minor, currency) => ({ minor, currency, formatted: (minor / 100).toFixed(2) });
    const MONTHS = ['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11'];
    const PLANS = ['starter', 'growth', 'scale', 'enterprise', 'pro_annual', 'team', 'legacy'];
    const mrrOf = (currency, k) => {
      let mrr = 0;
      const months = MONTHS.map((month, i) => {
        const moves = {
          new: 90000 * k,
          expansion: 20000 * k,
          reactivation: 0,
          contraction: 15000 * k,
          churned: 30000 * k,
        };
        mrr += moves.new + moves.expansion - moves.contraction - moves.churned;
        const m = { month, mrr: amount(mrr, currency), arr: amount(mrr * 12, currency), paying_customers: i + 2 };
        m.arpu = amount(Math.round(mrr / (i + 2)), currency);
        for (const [key, minor] of Object.entries(moves)) m[key] = amount(minor, currency);
        return { ...m, net_revenue_retention: '97.5', net_revenue_retention_12m: null };
      });
      return { ...months[months.length - 1], currency, months };
    };
    const revenueOf = (currency, k) => {
      const months = MONTHS.map((month, i) => {
        const by_plan = PLANS.map((plan_id, p) => ({
          plan_id,
          amount: amount((p + 1) * 10000 * k + i * 100, currency),
        }));
        const total = by_plan.reduce((sum, p) => sum + p.amount.minor, 0);
        const [base, usage] = [Math.round(total / 2), total - Math.round(total / 2)];
        const kinds = { base_fees: amount(base, currency), usage: amount(usage, currency), other: amount(0, currency) };
        return { month, total: amount(total, currency), ...kinds, by_metric: [], by_plan };
      });
      const total = amount(
        months.reduce((sum, m) => sum + m.total.minor, 0),
        currency,
      );
      const invoices_by_status = [{ status: 'paid', invoices: 12, total: amount(500000 * k, currency) }];
      return { currency, total, months, invoices_by_status };
    };
    const agingOf = (currency, k) => {
      const buckets = ['current', '1_30', '31_60', '61_90', 'over_90'].map((bucket, i) => ({
        bucket,
        invoices: i + 1,
        amount: amount((i + 1) * 25000 * k, currency),
      }));
      const outstanding = amount(
        buckets.reduce((sum, b) => sum + b.amount.minor, 0),
        currency,
      );
      return { currency, outstanding, invoices: 15, buckets };
    };
    const asOf = '2026-11-30T06:00:00.000Z';
    const answers = {
      mrr: { object: 'analytics.mrr', as_of: asOf, currencies: [mrrOf('USD', 2), mrrOf('EUR', 1)] },
      revenue: { object: 'analytics.revenue', as_of: asOf, currencies: [revenueOf('USD', 2), revenueOf('EUR', 1)] },
      'ar-aging': { object: 'analytics.ar_aging', as_of: asOf, currencies: [agingOf('USD', 2), agingOf('EUR', 1)] },
    };
    const topOf = (by) => ({
      object: 'analytics.top_customers',
      as_of: asOf,
      by,
      currencies: ['USD', 'EUR'].map((currency) => ({
        currency,
        customers: [1, 2, 3].map((n) => ({
          customer_id: `cus_${currency}_${n}`,
          name: `${currency} customer ${n}`,
          revenue: amount(Math.round(100000 / n), currency),
          usage: amount(Math.round(50000 / n), currency),
        })),
      })),
    });
    await page.route('**/api/v1/admin/analytics/**', (route) => {
      const url = new URL(route.request().url());
      const name = url.pathname.split('/').pop();
      if (name === 'refresh') {
        const error = { code: 'refresh_running', message: 'a refresh is already running', request_id: 'req_e2e409' };
        return route.fulfill({ status: 409, json: { error } });
      }
      if (name === 'top-customers') return route.fulfill({ json: topOf(url.searchParams.get('by') ?? 'revenue') });
      return answers[name] ? route.fulfill({ json: answers[name] }) : route.continue();
    });
    const found = [];
    try {
      await login(ADMIN);
      await page.goto('/admin/analytics');
      await page.locator(ANALYTICS_LOADED).waitFor();
      // Dollars first (the answers' order); euros on request, in the URL.
      const switcher = page.getByRole('group', { name: 'Currency' });
      assert.deepEqual(await switcher.getByRole('button').allTextContents(), ['USD', 'EUR']);
      assert.equal(await switcher.getByRole('button', { name: 'USD' }).getAttribute('aria-pressed'), 'true');
      await switcher.getByRole('button', { name: 'EUR' }).click();
      await page.waitForURL((url) => url.searchParams.get('currency') === 'EUR');
      const eur = answers.mrr.currencies[1];
      await page
        .getByTestId('stat-mrr')
        .filter({ hasText: money(eur.mrr) })
        .waitFor();
      // Nothing in dollars is left on the page's figures and charts: amounts of two currencies are never mixed.
      const labels = await page
        .locator('svg[role="img"]')
        .evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute('aria-label')));
      assert.equal(labels.length, 4);
      for (const label of labels) {
        assert.match(label, / in EUR/);
        assert.doesNotMatch(label, /\$/);
      }
      assert.doesNotMatch(await page.locator('.analytics-stats').textContent(), /\$/);
      assert.doesNotMatch(await page.getByTestId('top-customers-table').textContent(), /USD customer|\$/);
      // Losses below the axis: contraction and churn bars start at 0 and go down.
      const movements = page.getByTestId('movements-chart');
      const zero = await movements.locator('.chart-zero line').getAttribute('y1');
      const churned = movements.locator('rect[data-movement="churned"]').first();
      assert.ok(Number(await churned.getAttribute('y')) >= Number(zero) - 0.5, 'churn is drawn below 0');
      const won = movements.locator('rect[data-movement="new"]').first();
      const wonBottom = Number(await won.getAttribute('y')) + Number(await won.getAttribute('height'));
      assert.ok(Math.abs(wonBottom - Number(zero)) < 0.5, 'new MRR is drawn up from 0');
      // Seven plans: the five largest by name, the other two together.
      const legend = await page.getByTestId('revenue-chart').locator('.chart-legend li').allTextContents();
      assert.deepEqual(legend, ['Legacy', 'Team', 'Pro annual', 'Enterprise', 'Scale', 'Other plans']);
      assert.equal(
        await page.getByTestId('revenue-chart').locator('rect[data-plan]').count(),
        MONTHS.length * legend.length,
      );
      // Past due in the headline, every bucket drawn.
      await page.getByTestId('stat-outstanding').filter({ hasText: 'past due' }).waitFor();
      const aging = page.getByTestId('aging-chart');
      assert.equal(await aging.locator('rect.aging-bar').count(), 5);
      // A refresh already running (409): said so, with the server's request id.
      await page.getByRole('button', { name: 'Refresh now' }).click();
      const alert = page.getByTestId('analytics-bar').getByRole('alert');
      await alert.getByRole('heading', { name: 'The refresh did not start' }).waitFor();
      await alert.getByText('Another refresh is under way').waitFor();
      // Refused, not failed: asking again at once would get the same answer, so no Try again.
      assert.equal(await alert.getByRole('button', { name: 'Try again' }).count(), 0);
      await alert.getByText('req_e2e409').waitFor();
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: width < 900 ? 844 : 860 });
        await page.locator(ANALYTICS_LOADED).waitFor();
        await page.evaluate(() => document.fonts.ready);
        found.push(...(await axeViolations(page, `analytics in EUR @${width}`)));
        found.push(...(await layoutReport(page)).problems.map((x) => `${width} px analytics in EUR: ${x}`));
        await shot(width < 900 ? '91b-admin-analytics-eur-phone' : '91-admin-analytics-eur');
      }
      await page.setViewportSize({ width: 1280, height: 860 });
    } catch (error) {
      // The next test signs in afresh.
      await page.setViewportSize({ width: 1280, height: 860 });
      await context.clearCookies();
      throw error;
    } finally {
      await page.unroute('**/api/v1/admin/analytics/**');
    }
    await logout();
    assert.deepEqual(found, [], found.join('\n'));
  });
});

// ---------------------------------------------------------------------------
// Credit notes: the last test on the shared server, as it changes an invoice's
// amount due (and Stripe's copy), which a later reconciliation would see.

describe('credit notes', () => {
  test('an admin issues a partial credit note on a finalized invoice and sees it listed, then grants credits', async () => {
    await login(ADMIN);
    const open = await api('/api/v1/billing/invoices?status=open&limit=100');
    let invoice = null;
    for (const candidate of open.data) {
      const full = await api(`/api/v1/billing/invoices/${candidate.id}`);
      if (full.lines.some((line) => line.amount.minor > 100) && full.amount_due.minor > 100) {
        invoice = full;
        break;
      }
    }
    assert.ok(invoice, 'the demo data has an open invoice with a line over 1.00');
    const position = invoice.lines.findIndex((line) => line.amount.minor > 100) + 1;
    const before = (await api(`/api/v1/billing/invoices/${invoice.id}/credit-notes`)).data.length;

    await page.goto(`/billing/invoices/${invoice.id}?customer=${invoice.customer_id}`);
    await page.getByTestId('invoice-lines').waitFor();
    await page.getByRole('button', { name: 'Issue credit note' }).click();
    const dialog = page.getByTestId('credit-note-dialog');
    await dialog.waitFor();
    // Nothing chosen: the dialog says what is missing and sends nothing.
    await dialog.getByRole('button', { name: 'Issue credit note' }).click();
    await dialog.getByText('Choose a reason.').waitFor();
    await dialog.getByText('Choose lines to credit, enter an amount, or both.').waitFor();

    const line = dialog.locator(`[data-line="${position}"]`);
    await line.getByRole('checkbox').check();
    await line.getByLabel(/^Amount/).fill('1.00');
    await dialog.getByLabel('Reason').selectOption('order_change');
    await dialog.getByLabel('Memo').fill('Partial credit from the e2e test');
    await shot('60-credit-note-dialog');
    await dialog.getByRole('button', { name: 'Issue credit note' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('credit-note-issued').waitFor();

    const notes = (await api(`/api/v1/billing/invoices/${invoice.id}/credit-notes`)).data;
    assert.equal(notes.length, before + 1);
    const issued = notes[notes.length - 1];
    assert.deepEqual(
      issued.lines.map((l) => [l.invoice_line, l.amount.minor]),
      [[position, 100]],
    );
    const row = page.locator(`tr[data-credit-note="${issued.id}"]`);
    await row.waitFor();
    assert.equal((await row.getByRole('link').textContent()).trim(), issued.number);
    assert.match(await row.textContent(), /Order change/);
    assert.match(await row.textContent(), new RegExp(money(issued.total).replace('$', '\\$')));
    // The totals show the credit note, and the amount due is the API's.
    const after = await api(`/api/v1/billing/invoices/${invoice.id}`);
    assert.equal(
      after.pre_payment_credit_notes.minor,
      invoice.pre_payment_credit_notes.minor + issued.pre_payment_amount.minor,
    );
    await page
      .getByTestId('invoice-amount-due')
      .filter({ hasText: money(after.amount_due) })
      .waitFor();
    assert.equal(
      (await page.getByTestId('invoice-credit-notes').textContent()).trim(),
      `\u2212${money(after.pre_payment_credit_notes)}`,
    );
    await shot('61-credit-note-listed');
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link').click()]);
    assert.equal(download.suggestedFilename(), `${issued.number}.pdf`);

    // The customer's credits: the admin grants some, and the balance, grant and history show them.
    await page.getByRole('navigation', { name: 'Billing' }).getByRole('link', { name: 'Credits' }).click();
    await page.waitForURL(
      (url) => url.pathname === '/billing/credits' && url.searchParams.get('customer') === invoice.customer_id,
    );
    await page.getByRole('button', { name: 'Grant credits' }).click();
    const grantDialog = page.getByTestId('grant-credits-dialog');
    await grantDialog.getByLabel('Amount').fill('50');
    await grantDialog.getByLabel('Description').fill('Goodwill from the e2e test');
    await grantDialog.getByRole('button', { name: 'Grant credits' }).click();
    await grantDialog.waitFor({ state: 'detached' });
    await page.getByTestId('credits-granted').waitFor();
    const credits = await api(`/api/v1/billing/credits?customer_id=${invoice.customer_id}`);
    const grant = credits.grants.find((g) => g.description === 'Goodwill from the e2e test');
    assert.ok(grant, 'the grant is listed by the API');
    assert.equal(grant.amount.minor, 5000);
    await page.locator(`tr[data-grant="${grant.id}"]`).waitFor();
    const balance = credits.balances.find((b) => b.currency === grant.amount.currency);
    await page
      .locator(`[data-testid="credit-balance"][data-currency="${balance.currency}"]`)
      .filter({ hasText: money(balance.available) })
      .waitFor();
    await page.getByTestId('credit-history').locator('tbody tr').first().waitFor();
    await shot('62-credits');
    await logout();
  });
});

describe('a fresh install: no Stripe, a small request budget', () => {
  let fresh;
  let freshBrowser;
  let freshContext;
  let freshPage;
  before(async () => {
    // console=40/15m: the budget of cookie sessions (billing and admin routes)
    // runs low within a few pages; billing=40/15m for bearer callers alike.
    fresh = await startBillingd({
      billingd: BILLINGD,
      consoleDir: CONSOLE_DIR,
      fakeStripe: FAKE_STRIPE,
      stripe: false,
      env: { RATE_LIMITS: 'billing=40/15m,console=40/15m' },
    });
    freshBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    freshContext = await freshBrowser.newContext({
      baseURL: fresh.baseUrl,
      viewport: { width: 1280, height: 860 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    freshContext.setDefaultTimeout(15_000);
    freshPage = await freshContext.newPage();
  });
  after(async () => {
    await freshBrowser?.close();
    if (fresh) await writeFile(path.join(SHOTS, 'billingd-fresh.log'), fresh.log.join('\n') + '\n');
    await fresh?.stop();
  });

  async function signIn(email) {
    await freshPage.goto('/login');
    await freshPage.getByLabel('Email').fill(email);
    await freshPage.getByLabel('Password').fill(DEMO_PASSWORD);
    await freshPage.getByRole('button', { name: 'Sign in' }).click();
    await freshPage.waitForURL((url) => !url.pathname.startsWith('/login'));
  }

  test("a reconciliation without Stripe shows the server's message and what to set, with no useless Try again", async () => {
    await signIn(ADMIN);
    await freshPage.goto('/admin/reconciliation');
    const [response] = await Promise.all([
      freshPage.waitForResponse((r) => r.url().endsWith('/api/v1/billing/reconcile')),
      freshPage.getByRole('button', { name: 'Run reconciliation' }).click(),
    ]);
    assert.equal(response.status(), 503);
    const { error } = await response.json();
    const box = freshPage.getByTestId('reconcile-error');
    await box.waitFor();
    const message = (await box.getByTestId('error-message').textContent()).trim();
    assert.ok(message.startsWith(error.message), `shown: ${message}; API: ${error.message}`);
    assert.doesNotMatch(message, /had a problem answering/);
    assert.match(await box.getByTestId('error-hint').textContent(), /STRIPE_SECRET_KEY/);
    assert.equal(await box.getByRole('button', { name: 'Try again' }).count(), 0);
    await freshPage.screenshot({ path: path.join(SHOTS, 'fresh-reconciliation-no-stripe.png'), fullPage: true });
    await freshPage.getByRole('button', { name: 'Sign out', exact: true }).click();
    await freshPage.waitForURL((url) => url.pathname === '/login');
  });

  test('the shell says how many requests are left once under 20 %, and a 429 says when to try again', async () => {
    let latest = null;
    freshPage.on('response', (r) => {
      const headers = r.headers();
      if (headers['ratelimit-limit'] === undefined) return;
      const state = { limit: Number(headers['ratelimit-limit']), remaining: Number(headers['ratelimit-remaining']) };
      // The group closest to running out, as the console shows it.
      if (!latest || state.remaining / state.limit < latest.remaining / latest.limit) latest = state;
    });
    await signIn(MEMBER);
    const notice = freshPage.getByTestId('budget-notice');
    let low = false;
    // Each reload is a fresh console (nothing remembered): usage and its history, two requests.
    for (let i = 0; i < 60 && !low; i++) {
      await freshPage.goto('/billing/usage');
      await freshPage.locator('.meter').or(freshPage.getByRole('alert')).first().waitFor();
      // Every response of this load counted (on a busy machine one can land after the meter shows).
      await freshPage.waitForLoadState('networkidle');
      low = latest !== null && latest.remaining < latest.limit * 0.2;
      if (!low) assert.equal(await notice.count(), 0, `notice at ${JSON.stringify(latest)}`);
    }
    assert.ok(low, `the budget did not run low: ${JSON.stringify(latest)}`);
    await notice.waitFor();
    assert.match(
      await notice.textContent(),
      /^(\d+ requests? left in this window, resets in \d+ (min|s)\.|No requests left)/,
    );
    await freshPage.screenshot({ path: path.join(SHOTS, 'fresh-budget-notice.png'), fullPage: true });
    // Spend the rest: the 429 is shown as what it is, with the wait from Retry-After.
    let limited = null;
    for (let i = 0; i < 30 && !limited; i++) {
      const [response] = await Promise.all([
        freshPage.waitForResponse((r) => r.url().includes('/api/v1/billing/usage/current')),
        freshPage.goto('/billing/usage'),
      ]);
      if (response.status() === 429) limited = response;
    }
    assert.ok(limited, 'no 429');
    const retryAfter = Number(limited.headers()['retry-after']);
    assert.ok(retryAfter > 0);
    const alert = freshPage.getByRole('alert').filter({ hasText: 'request budget' }).first();
    await alert.waitFor();
    assert.match(await alert.textContent(), /Try again in \d+ (seconds|minutes)/);
    await freshPage.getByTestId('budget-notice').filter({ hasText: 'No requests left' }).waitFor();
    await freshPage.screenshot({ path: path.join(SHOTS, 'fresh-budget-429.png'), fullPage: true });
  });
});

describe('billing turned off', () => {
  let off;
  let offBrowser;
  before(async () => {
    off = await startBillingd({
      billingd: BILLINGD,
      consoleDir: CONSOLE_DIR,
      fakeStripe: FAKE_STRIPE,
      stripe: false,
      env: { BILLING_ENABLED: 'false', RATE_LIMITS: 'billing=100000/15m,auth=10000/1m,admin=100000/15m' },
    });
    offBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  });
  after(async () => {
    await offBrowser?.close();
    await off?.stop();
  });

  test('the welcome and turned-off pages keep the top bar, have one h1, fit, and pass axe-core', async () => {
    const found = [];
    const problems = [];
    for (const width of [390, 820, 1440]) {
      // A member's pages, then an admin's: the Admin section's turned-off tabs are inside its layout.
      for (const [email, pages] of [
        [
          MEMBER,
          [
            ['billing-off-home', null, 'Nothing to show yet'],
            ['billing-off-usage', '/billing/usage', 'Billing is turned off'],
            // Outgoing webhooks are no feature's: the page works with billing off.
            ['billing-off-webhooks', '/developers/webhooks', 'No webhook endpoints yet'],
          ],
        ],
        [
          ADMIN,
          [
            ['billing-off-admin-home', null, 'Nothing to show yet'],
            ['billing-off-admin-customers', '/admin/customers', 'Billing is turned off'],
            ['billing-off-admin-reconciliation', '/admin/reconciliation', 'Billing is turned off'],
            ['billing-off-admin-webhooks', '/developers/webhooks', 'No webhook endpoints yet'],
          ],
        ],
      ]) {
        const ctx = await offBrowser.newContext({
          baseURL: off.baseUrl,
          viewport: { width, height: 860 },
          locale: 'en-US',
          timezoneId: 'UTC',
        });
        const p = await ctx.newPage();
        p.setDefaultTimeout(15_000);
        await p.goto('/login');
        await p.getByLabel('Email').fill(email);
        await p.getByLabel('Password').fill(DEMO_PASSWORD);
        await p.getByRole('button', { name: 'Sign in' }).click();
        await p.getByRole('heading', { name: 'Nothing to show yet' }).waitFor();
        const heights = [];
        for (const [name, target, ready] of pages) {
          if (target) await p.goto(target);
          await p.getByRole('heading', { name: ready }).waitFor();
          // Every page state has exactly one h1 (a section's own, or the notice's when it is the whole page).
          const h1s = await p.locator('h1').allTextContents();
          if (h1s.length !== 1) problems.push(`${width} px ${name}: ${h1s.length} h1 elements: ${JSON.stringify(h1s)}`);
          const report = await layoutReport(p);
          problems.push(...report.problems.map((x) => `${width} px ${name}: ${x}`));
          heights.push(report.header);
          found.push(...(await axeViolations(p, `${name} @${width}`)));
          if (SHOT_WIDTHS.has(width))
            await p.screenshot({ path: path.join(SHOTS, `layout-${width}-${name}.png`), fullPage: true });
        }
        if (new Set(heights).size !== 1)
          problems.push(`${width} px ${email}: the top bar's height differs: ${heights}`);
        await ctx.close();
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);
  });
});
