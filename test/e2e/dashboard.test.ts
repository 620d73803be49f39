// The merchant dashboard in a real browser (Debian's Chromium, driven by playwright-core), against
// the real `npm run dev`: log in, watch an order from the seed's PHP client and a refused request
// arrive without a reload, change every setting and read it back from the API, rotate the key,
// share a read-only link and revoke it, add a webhook endpoint (its secret shown once) and watch
// an order's delivery to a local receiver on the Deliveries page, and check an XSS customer name
// stays text. Every page is screenshotted at 1280 and 375 px into test-results/screenshots/. Without /usr/bin/chromium the
// tests are skipped, except in CI (CI=true) where they fail.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from './chromium';
import { basicAuth, root, runSite, type SiteKeys, siteJson } from './global-setup';
import { Receiver } from './receiver';

const skip = skipWithoutChromium('the dashboard tests');

const SHOTS = join(root, 'test-results', 'screenshots');
const XSS = '<img src=x onerror=alert(1)>';
/** The views poll every 3 s: a row must show within a few polls. */
const LIVE_MS = 12_000;

type Json = Record<string, any>;
let browser: Browser;
let site: SiteKeys;
let base: string;

/** Everything a page did that it should not: dialogs (an XSS firing), script errors, CSP refusals. */
interface Watched {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  problems: string[];
}

async function newPage(options: { javaScriptEnabled?: boolean } = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const problems: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // The login error (400) and a revoked link (410) are answered with a page on purpose.
    if (m.type() === 'error' && !/status of (400|410)\b/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { context, page, dialogs, problems };
}

async function logIn(page: Page, keys = site) {
  await page.goto(`${base}/dashboard`);
  await page.getByLabel('Public key').fill(keys.publicKey);
  await page.getByLabel('Private key').fill(keys.privateKey);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}/dashboard/orders`);
}

/** The page at 1280 and at 375 px wide, full length; at both, nothing wider than the screen. */
async function shoot(page: Page, name: string) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} at ${width} px scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(0);
    // At 1280 px no table and no code block is cut off in its box (they may scroll at 375 px).
    if (width === 1280) {
      const cut = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('.table-box, pre')].filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => `${el.className || el.tagName} ${el.scrollWidth}>${el.clientWidth}`),
      );
      expect(cut, `${name} at 1280 px`).toEqual([]);
    }
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function api(path: string, init: { method?: string; body?: unknown; keys?: SiteKeys } = {}) {
  const keys = init.keys ?? site;
  return fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: basicAuth(keys.publicKey, keys.privateKey), 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

const order = (id: string, extra: Json = {}) => ({
  data: { customer_email: `${id.toLowerCase().replace(/[^a-z0-9]/g, '')}@shop.test`, order_idorder: id, order_state: 20, order_amount: 42.5, order_crea_dt: '2026-11-25 10:00:00', ...extra },
});

function runPhp(orderId: string, keys = site) {
  const r = spawnSync('php', ['examples/php/update-order.php'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, SHOPBEACON_URL: base, SHOPBEACON_PUBLIC_KEY: keys.publicKey, SHOPBEACON_PRIVATE_KEY: keys.privateKey, SHOPBEACON_ORDER_ID: orderId },
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** At 1280 px no table is wider than its box: long cells (an endpoint URL) wrap, the table never scrolls sideways. */
async function tablesFit(page: Page) {
  const boxes = await page.evaluate(() => [...document.querySelectorAll('.table-box')].map((box) => [box.querySelector('table')?.id, box.scrollWidth - box.clientWidth] as const));
  expect(boxes.length).toBeGreaterThan(0);
  for (const [id, over] of boxes) expect(over, `#${id} is wider than its box by ${over} px`).toBeLessThanOrEqual(0);
}

/** Marks the window: the mark is gone if the page reloads or navigates. */
const markWindow = (page: Page) => page.evaluate(() => ((window as any).__noReload = true));
const stillSameWindow = (page: Page) => page.evaluate(() => (window as any).__noReload === true);

describe.skipIf(skip)('the merchant dashboard in Chromium against npm run dev', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    base = inject('baseUrl');
    browser = await launchChromium();
    site = siteJson(runSite(['create', '--name', 'Dashboard e2e shop', '--json'], inject('stateDir')));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('logs in with the keys (wrong keys: the form again with an error), and logs out', async () => {
    const { context, page, problems } = await newPage();
    await page.goto(`${base}/dashboard`);
    await shoot(page, 'login');
    await page.getByLabel('Public key').fill(site.publicKey);
    await page.getByLabel('Private key').fill('sk_not-the-key');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong public or private key.');
    await shoot(page, 'login-error');
    await logIn(page);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Verify order upload');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${base}/dashboard`);
    await page.goto(`${base}/dashboard/orders`);
    expect(page.url()).toBe(`${base}/dashboard`); // the session is over
    await expect(page.getByLabel('Public key').isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('an order posted with the PHP example appears on the verify view without a reload; the filter narrows it', async () => {
    const { context, page, problems } = await newPage();
    await logIn(page);
    await markWindow(page);
    const id = `E2E-PHP-${Date.now()}`;
    const run = runPhp(id);
    expect(run.status, run.output).toBe(0);
    const row = page.locator('#orders tbody tr', { has: page.locator('td.c-id', { hasText: id }) });
    await row.waitFor({ timeout: LIVE_MS });
    expect(await stillSameWindow(page)).toBe(true);
    const cells = await row.locator('td').allTextContents();
    expect(cells).toEqual([
      id,
      '2014-06-21\n14:31:08 UTC',
      'taken',
      '158.31',
      'no',
      'John Doe\njohn@doe.com\n12345xxx6789',
      'order_tag1, order_tag2',
      'API',
      expect.stringMatching(/ UTC$/),
      expect.stringMatching(/ UTC$/),
    ]);
    // Another order, then the filter as one types: only the matching row stays.
    expect((await api('/api/updateOrder', { method: 'POST', body: order('E2E-OTHER-1') })).status).toBe(200);
    await page.locator('#orders td.c-id', { hasText: 'E2E-OTHER-1' }).waitFor({ timeout: LIVE_MS });
    await shoot(page, 'orders');
    await page.getByLabel('Filter by order id or email').fill(id.toLowerCase());
    await expect.poll(() => page.locator('#orders td.c-id').allTextContents(), { timeout: LIVE_MS }).toEqual([id]);
    expect(new URL(page.url()).searchParams.get('q')).toBe(id.toLowerCase());
    expect(await stillSameWindow(page)).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a bad request appears in the rejected view with its reason, and a tracker event in the events view', async () => {
    const { context, page, problems } = await newPage();
    await logIn(page);
    await page.goto(`${base}/dashboard/rejections`);
    await markWindow(page);
    const bad = order('E2E-BAD-1', { order_ammount: '12' });
    expect((await api('/api/updateOrder', { method: 'POST', body: bad })).status).toBe(400);
    const row = page.locator('#rejections tbody tr', { hasText: 'did you mean order_amount?' });
    await row.waitFor({ timeout: LIVE_MS });
    expect(await row.locator('td.c-route').textContent()).toBe('POST /api/updateOrder');
    expect(await row.locator('td.c-code').textContent()).toBe('400 invalid_fields');
    expect(await row.locator('td.c-reasons').textContent()).toContain('data[order_ammount]: unknown field; did you mean order_amount?');
    expect(await row.locator('td.c-excerpt').textContent()).toContain('"order_ammount":"12"');
    expect(await stillSameWindow(page)).toBe(true);
    await shoot(page, 'rejections');

    await page.goto(`${base}/dashboard/events`);
    await markWindow(page);
    const collect = await fetch(`${base}/collect`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ key: site.publicKey, events: [{ id: `e2edash${Date.now()}`, type: 'page', ts: Date.now(), sbt: 'AbCdEfGhIjKlMnOpQrStUv', data: { title: 'Dashboard e2e page', url: 'https://shop.example/' } }] }),
    });
    expect(collect.status, await collect.text()).toBe(204);
    await page.locator('#events td.c-data', { hasText: 'Dashboard e2e page' }).waitFor({ timeout: LIVE_MS });
    expect(await stillSameWindow(page)).toBe(true);
    await shoot(page, 'events');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('every setting changed on the form is what the API answers; a bad value shows its error next to the field', async () => {
    const { context, page, problems } = await newPage();
    await logIn(page);
    await page.goto(`${base}/dashboard/settings`);
    await page.getByLabel('Take accounts, orders and opt-ins from the browser tracker').check();
    await page.getByLabel('Taken (10)').check();
    await page.getByLabel('Legal basis on a new order').fill('purchase');
    await page.getByLabel('Legal basis on account creation').fill('contract');
    await page.locator('#gdpr_email_optin_to').selectOption('consent');
    await page.locator('#gdpr_email_optin_id').fill('newsletter');
    await page.locator('#gdpr_sms_optin_to').selectOption('legal_basis');
    await page.locator('#gdpr_sms_optin_id').fill('sms');
    await page.locator('#cf_id_0').fill('327');
    await page.locator('#cf_name_0').fill('Loyalty tier');
    await page.getByLabel(/Shop origins the tracker may send from/).fill('https://shop.example\nhttp://localhost:8788');
    await page.getByLabel(/Events the browser tracker may send per day/).fill('250000');
    await page.getByLabel(/Minutes after which a cart that no order followed counts as abandoned/).fill('30');
    await page.getByLabel('Opt-in callback URL').fill('https://shop.example/optin');
    await page.getByLabel('Opt-out callback URL').fill('https://shop.example/optout');
    await page.getByLabel(/Security parameter/).fill('S3cret-param');
    await page.locator('#store_id_0').fill('fr');
    await page.locator('#store_name_0').fill('Boutique FR');
    await page.locator('#store_currency_0').fill('eur');
    await page.getByLabel('When an account is created').fill('rejestracja');
    await page.getByLabel(/tag the customer with each line's category path/).uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForURL(`${base}/dashboard/settings?saved=1`);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Settings saved.');
    const { settings } = (await (await api('/api/settings')).json()) as Json;
    expect(settings).toEqual({
      get_mode: true,
      order_validation_state: 'taken',
      gdpr: { on_order: 'purchase', on_account: 'contract', email_optin: { to: 'consent', id: 'newsletter' }, sms_optin: { to: 'legal_basis', id: 'sms' } },
      custom_fields: [{ id: 327, name: 'Loyalty tier' }],
      allowed_origins: ['https://shop.example', 'http://localhost:8788'],
      daily_event_quota: 250_000,
      abandoned_cart_minutes: 30,
      optin_callback_url: 'https://shop.example/optin',
      optout_callback_url: 'https://shop.example/optout',
      callback_secret: 'S3cret-param',
      stores: [{ id: 'fr', name: 'Boutique FR', currency: 'EUR' }],
      auto_tags: { registration: 'rejestracja', newsletter: 'newsletter', categories: false },
    });
    // The validation setting shows at once on the verify view: a taken order is now validated.
    await page.goto(`${base}/dashboard/orders`);
    expect(await page.locator('#orders tbody tr', { hasText: 'taken' }).first().locator('td.c-validated').textContent()).toBe('yes');

    await page.goto(`${base}/dashboard/settings`);
    await page.getByLabel(/Shop origins the tracker may send from/).fill('shop.example/path');
    await page.getByLabel('Legal basis on a new order').fill('not a basis');
    await page.getByLabel(/Events the browser tracker may send per day/).fill('lots');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.locator('#err-daily_event_quota').textContent()).resolves.toContain('must be a whole number of events');
    await expect(page.locator('#err-allowed_origins').textContent()).resolves.toContain('"shop.example/path" must be an origin');
    await expect(page.locator('#err-gdpr_on_order').textContent()).resolves.toContain('legal basis id');
    await shoot(page, 'settings-errors');
    expect(((await (await api('/api/settings')).json()) as Json).settings.allowed_origins).toEqual(['https://shop.example', 'http://localhost:8788']);
    // Back to no origin restriction for the tests that follow.
    await page.getByLabel(/Shop origins the tracker may send from/).fill('');
    await page.getByLabel('Legal basis on a new order').fill('purchase');
    await page.getByLabel(/Events the browser tracker may send per day/).fill('');
    await page.getByLabel('Opt-in callback URL').fill('');
    await page.getByLabel('Opt-out callback URL').fill('');
    await page.getByLabel(/Security parameter/).fill('');
    for (const f of ['id', 'name', 'currency']) await page.locator(`#store_${f}_0`).fill('');
    await page.getByLabel('When an account is created').fill('registration');
    await page.getByLabel(/tag the customer with each line's category path/).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForURL(`${base}/dashboard/settings?saved=1`);
    const after = ((await (await api('/api/settings')).json()) as Json).settings;
    expect(after).toMatchObject({ daily_event_quota: 1_000_000, stores: [], auto_tags: { registration: 'registration', newsletter: 'newsletter', categories: true } });
    await shoot(page, 'settings');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('code examples carry the public key and this endpoint; the copy button copies', async () => {
    const { context, page, problems } = await newPage();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await logIn(page);
    await page.goto(`${base}/dashboard/code`);
    const script = await page.locator('#code-script').textContent();
    expect(script).toContain(`<script async src="${base}/sdk.js" data-key="${site.publicKey}"></script>`);
    expect(await page.locator('#code-npm').textContent()).toContain(`createTracker({ key: '${site.publicKey}', endpoint: '${base}' })`);
    const php = await page.locator('#code-php').textContent();
    expect(php).toContain(`$shopbeacon_url = "${base}";`);
    expect(php).toContain('YOUR_PRIVATE_KEY');
    expect(php).not.toContain(site.privateKey);
    expect(await page.locator('#custom-field-ids tbody').textContent()).toContain('327Loyalty tier');
    await page.locator('button[data-copy="code-script"]').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(script);
    await shoot(page, 'code');
    expect(problems).toEqual([]);
    await context.close();
  });

  it("the Imports page shows an import's progress as batches arrive, live", async () => {
    const { context, page, problems } = await newPage();
    await logIn(page);
    await page.goto(`${base}/dashboard/imports`);
    await markWindow(page);
    const uid = `imp_e2e${Date.now()}`;
    const batch = (n: number, rows: unknown[], extra = {}) => ({ import: uid, file: 'customers-2019.csv', batch: n, first_row: n * 2 + 1, rows, ...extra });
    const rows = (n: number) => [{ data: { customer_email: `imported${n}@shop.example` } }, { data: { customer_email: n === 1 ? 'not an email' : `imported${n}b@shop.example` } }];
    expect((await api('/api/import/customers', { method: 'POST', body: batch(0, rows(0)) })).status).toBe(200);
    const row = page.locator('#imports tbody tr', { hasText: uid });
    await row.waitFor({ timeout: LIVE_MS });
    expect(await row.locator('td.c-status').textContent()).toBe('running');
    expect((await api('/api/import/customers', { method: 'POST', body: batch(1, rows(1)) })).status).toBe(200);
    expect((await api('/api/import/customers', { method: 'POST', body: batch(2, [], { done: true }) })).status).toBe(200);
    await expect.poll(() => row.locator('td.c-status').textContent(), { timeout: LIVE_MS }).toBe('done');
    expect(await row.locator('td.c-taken').textContent()).toBe('3');
    expect(await row.locator('td.c-rejected').textContent()).toBe('1');
    expect(await stillSameWindow(page)).toBe(true);
    await shoot(page, 'imports');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a share link shows the docs, the public key, the code and the three verify views, nothing else; revoked, it stops', async () => {
    const merchant = await newPage();
    await logIn(merchant.page);
    await merchant.page.goto(`${base}/dashboard/share`);
    await merchant.page.getByLabel('For whom (a note for you)').fill('Agency dev');
    await merchant.page.getByRole('button', { name: 'Create a link' }).click();
    const url = (await merchant.page.locator('#share-url').textContent())!;
    expect(url).toMatch(new RegExp(`^${base}/share/[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{43}$`));
    const mailto = (await merchant.page.locator('#share-mailto').getAttribute('href'))!;
    expect(decodeURIComponent(mailto)).toContain(url);
    expect(decodeURIComponent(mailto)).toContain(site.publicKey);
    await shoot(merchant.page, 'share');
    // The form redirected: a reload asks for the page again, never re-posts the form, and the link is not shown again.
    expect(merchant.page.url()).toBe(`${base}/dashboard/share`);
    await merchant.page.reload();
    expect(await merchant.page.locator('#share-url').count()).toBe(0);
    expect(await merchant.page.locator('#share-links tbody tr', { hasText: 'Agency dev' }).count()).toBe(1);

    const dev = await newPage(); // another browser: no session
    await dev.page.goto(url);
    await markWindow(dev.page);
    await expect(dev.page.locator('#public-key').textContent()).resolves.toBe(site.publicKey);
    for (const id of ['#docs', '#code-script', '#code-npm', '#code-php', '#orders', '#events', '#rejections']) expect(await dev.page.locator(id).count(), id).toBe(1);
    const html = await dev.page.content();
    expect(html).not.toContain(site.privateKey);
    expect(await dev.page.locator('form[method="post"]').count()).toBe(0);
    expect(await dev.page.getByRole('link', { name: 'Settings' }).count()).toBe(0);
    expect(await dev.page.getByText('Rotate').count()).toBe(0);
    // Live there too.
    expect((await api('/api/updateOrder', { method: 'POST', body: order('E2E-SHARED-1') })).status).toBe(200);
    await dev.page.locator('#orders td.c-id', { hasText: 'E2E-SHARED-1' }).waitFor({ timeout: LIVE_MS });
    expect(await stillSameWindow(dev.page)).toBe(true);
    await shoot(dev.page, 'shared');

    // Revoked: the open page says so at its next poll; the link answers 410.
    await merchant.page.goto(`${base}/dashboard/share`);
    await merchant.page.locator('#share-links tbody tr', { hasText: 'Agency dev' }).getByRole('button', { name: 'Revoke' }).click();
    await merchant.page.waitForURL(`${base}/dashboard/share?revoked=1`);
    await expect.poll(() => dev.page.locator('#orders').locator('xpath=ancestor::div[@data-view]').locator('[data-live-status]').textContent(), { timeout: LIVE_MS }).toBe('This link no longer works.');
    const gone = await dev.page.goto(url);
    expect(gone!.status()).toBe(410);
    await expect(dev.page.locator('h1').textContent()).resolves.toBe('Link no longer valid');
    await shoot(dev.page, 'shared-revoked');
    expect([...merchant.problems, ...dev.problems]).toEqual([]);
    await merchant.context.close();
    await dev.context.close();
  });

  it('a webhook endpoint added on its page shows its secret once; an order is delivered to it, listed on the Deliveries page, and sent again', async () => {
    const receiver = await Receiver.start();
    // A long path without a break: the Endpoint URL cells must wrap it.
    const url = receiver.url(`/hooks/shopbeacon/${'a-long-path-segment-'.repeat(6)}end`);
    const { context, page, problems } = await newPage();
    const nav = (name: string) => page.getByRole('navigation').getByRole('link', { name });
    try {
      await logIn(page);
      await nav('Deliveries').click();
      await page.waitForURL(`${base}/dashboard/deliveries`);
      await expect(page.locator('main .empty').textContent()).resolves.toContain('Add a webhook endpoint');
      await nav('Webhooks').click();
      await page.waitForURL(`${base}/dashboard/webhooks`);

      // Refused first: the reason next to the field, nothing added.
      await page.getByLabel('Endpoint URL').fill('ftp://hooks.shop.example/in');
      await page.getByLabel(/order\.created/).check();
      await page.getByRole('button', { name: 'Add the endpoint' }).click();
      await expect(page.locator('#err-url').textContent()).resolves.toBe('must be an http(s) URL');
      await shoot(page, 'webhooks-error');
      expect(await page.locator('#webhooks').count()).toBe(0);

      await page.getByLabel('Endpoint URL').fill(url);
      await page.getByRole('button', { name: 'Add the endpoint' }).click();
      await page.waitForURL(`${base}/dashboard/webhooks`);
      receiver.secret = (await page.locator('#webhook-secret').textContent())!;
      expect(receiver.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const row = page.locator('#webhooks tbody tr', { hasText: 'a-long-path-segment' });
      expect(await row.locator('td.c-url').textContent()).toBe(url);
      expect(await row.locator('td.c-events').textContent()).toBe('order.created');
      await shoot(page, 'webhooks');
      await tablesFit(page);
      // Shown once: a reload does not show it again, and never adds a second endpoint.
      await page.reload();
      expect(await page.locator('#webhook-secret').count()).toBe(0);
      expect(await page.content()).not.toContain(receiver.secret);
      expect(await page.locator('#webhooks tbody tr').count()).toBe(1);

      // An order: the receiver verifies it with the secret the page showed.
      expect((await api('/api/updateOrder', { method: 'POST', body: order('E2E-WEBHOOK-1') })).status).toBe(200);
      await receiver.until('order.created', () => receiver.received.length === 1);
      expect(receiver.received[0].payload).toMatchObject({ type: 'order.created', data: { order: { order_idorder: 'E2E-WEBHOOK-1' } } });
      await nav('Deliveries').click();
      const delivery = page.locator('#deliveries tbody tr').first();
      await expect
        .poll(async () => {
          await page.reload();
          return delivery.locator('td.c-status').textContent();
        }, { timeout: LIVE_MS })
        .toBe('delivered');
      expect(await page.locator('#deliveries tbody tr').count()).toBe(1);
      expect(await delivery.locator('td.c-trigger').textContent()).toMatch(/^order\.created\ntrg_[0-9a-f]{24}$/);
      expect(await delivery.locator('td.c-url').textContent()).toBe(url);
      expect(await delivery.locator('td.c-attempts').textContent()).toBe('1');
      expect(await delivery.locator('td.c-answer').textContent()).toBe('200');
      await shoot(page, 'deliveries');
      await tablesFit(page);

      // Send again: the same webhook-id, so a receiver can tell it is a repeat.
      await delivery.getByRole('button', { name: 'Send again' }).click();
      await page.waitForURL(`${base}/dashboard/deliveries?sent=1`);
      await expect(page.getByRole('status').first().textContent()).resolves.toContain('Queued to be sent again');
      await receiver.until('the delivery sent again', () => receiver.received.length === 2);
      expect(receiver.received[1].id).toBe(receiver.received[0].id);

      // Removed (after the page that asks): the later tests' orders are not for it.
      await nav('Webhooks').click();
      await row.getByRole('link', { name: 'Remove…' }).click();
      await expect(page.locator('#remove-url').textContent()).resolves.toBe(url);
      await shoot(page, 'webhook-remove');
      await page.getByRole('button', { name: 'Remove the endpoint' }).click();
      await page.waitForURL(`${base}/dashboard/webhooks?removed=1`);
      expect(await page.locator('#webhooks').count()).toBe(0);
      expect(((await (await api('/api/webhooks')).json()) as Json).webhooks).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await receiver.close();
    }
  });

  it('a customer named <img src=x onerror=alert(1)> renders as inert text, on the page and after live refreshes', async () => {
    const body = order('E2E-XSS-1', { customer_name: XSS, external_id: XSS, add_order_tag: [XSS] });
    expect((await api('/api/updateOrder', { method: 'POST', body })).status).toBe(200);
    expect((await api('/api/updateOrder', { method: 'POST', body: order(XSS) })).status).toBe(200);
    const { context, page, dialogs, problems } = await newPage();
    await logIn(page);
    const xssRow = page.locator('#orders tbody tr', { has: page.locator('td.c-id', { hasText: 'E2E-XSS-1' }) });
    await expect(xssRow.locator('td.c-customer').textContent()).resolves.toContain(XSS);
    expect(await xssRow.locator('td.c-tags').textContent()).toBe(XSS);
    expect(await page.locator('#orders td.c-id', { hasText: XSS }).count()).toBe(1);
    // Through a live refresh (rows rebuilt by the script) it stays text.
    await expect.poll(() => page.locator('[data-live-status]').textContent(), { timeout: LIVE_MS }).toContain('live, updated');
    await expect(xssRow.locator('td.c-customer').textContent()).resolves.toContain(XSS);
    expect(await page.locator('main img').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    await shoot(page, 'orders-xss');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('is readable without JavaScript: log in, the orders, the settings form', async () => {
    const { context, page } = await newPage({ javaScriptEnabled: false });
    await logIn(page);
    expect(await page.locator('#orders tbody tr').count()).toBeGreaterThan(0);
    await page.goto(`${base}/dashboard/orders?q=e2e-other`);
    expect(await page.locator('#orders td.c-id').allTextContents()).toEqual(['E2E-OTHER-1']);
    await page.goto(`${base}/dashboard/settings`);
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForURL(`${base}/dashboard/settings?saved=1`);
    await shoot(page, 'settings-no-js');
    await context.close();
  });

  // Last: it changes the site's private key.
  it('rotating the key shows the new one once; the old one is refused by the API and the PHP client', async () => {
    const { context, page, problems } = await newPage();
    await logIn(page);
    await page.goto(`${base}/dashboard/settings`);
    await page.getByLabel('Current private key').fill(site.privateKey);
    await page.getByLabel(/The old private key stops working/).check();
    await page.getByRole('button', { name: 'Rotate the private key' }).click();
    const newKey = (await page.locator('#new-private-key').textContent())!;
    expect(newKey).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    // The share test revoked its link: there was none left for the rotation to revoke.
    expect(await page.locator('#share-links-after-rotation').textContent()).toBe('There was no open share link to revoke.');
    await shoot(page, 'settings-rotated');
    const old = site;
    site = { ...site, privateKey: newKey };
    expect((await api('/api/settings', { keys: old })).status).toBe(401);
    expect((await api('/api/settings')).status).toBe(200);
    const refused = runPhp('E2E-OLD-KEY', old);
    expect(refused.status, refused.output).not.toBe(0);
    expect(refused.output).toContain('HTTP 401');
    expect(runPhp('E2E-NEW-KEY').status).toBe(0);
    // The merchant who rotated is still in; the new key is not shown again.
    await page.goto(`${base}/dashboard/settings`);
    expect(page.url()).toBe(`${base}/dashboard/settings`);
    expect(await page.content()).not.toContain(newKey);
    expect(problems).toEqual([]);
    await context.close();
  });
});
