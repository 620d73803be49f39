// Access to the dashboard: the login form, the session cookie, logging out, CSRF, throttling,
// and sessions ending when the private key is rotated.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/dashboard/session';
import { createShareLink } from '../src/dashboard/share';
import { MAX_FAILURES } from '../src/dashboard/throttle';
import { Client, csrfIn, loggedIn } from './dashboard-client';
import { get, newSite, SELF, type TestSite } from './helpers';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

describe('dashboard access', () => {
  it('/dashboard shows a login form with Public key and Private key, under a strict CSP and secure headers', async () => {
    const res = await new Client().get('/dashboard');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<label for="public_key">Public key<\/label>/);
    expect(html).toMatch(/<label for="private_key">Private key<\/label>/);
    expect(html).not.toMatch(/<script>|<style|style="/); // nothing inline: the CSP would block it
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('?public_key= fills in the public key (the link npm start prints), and only a public key', async () => {
    const site = await newSite();
    expect(await (await new Client().get(`/dashboard?public_key=${site.publicKey}`)).text()).toContain(`value="${site.publicKey}"`);
    expect(await (await new Client().get('/dashboard?public_key=%22%3E%3Cb%3E')).text()).toContain('<input id="public_key" name="public_key" value=""');
  });

  it('the right keys open a session: a signed, HttpOnly, SameSite=Strict, Secure cookie for 8 hours', async () => {
    const site = await newSite();
    const client = new Client();
    const res = await client.post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/orders');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toMatch(/; Max-Age=28800/);
    expect(cookie).toMatch(/; Path=\/dashboard/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(decodeURIComponent(cookie.split(';')[0].split('=').slice(1).join('='))).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/]{43}=$/); // id.signature
    const orders = await client.get('/dashboard/orders');
    expect(orders.status).toBe(200);
    expect(await orders.text()).toContain('Verify order upload');
    expect((await client.get('/dashboard')).headers.get('location')).toBe('/dashboard/orders');
  });

  it('over plain http (wrangler dev) the cookie is not Secure', async () => {
    const site = await newSite();
    const res = await new Client('http://127.0.0.1:8787').post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().join('\n')).not.toMatch(/Secure/);
  });

  it('wrong keys show the form again with an error, and no session', async () => {
    const site = await newSite();
    const client = new Client('https://tracker.test', { 'cf-connecting-ip': '198.51.100.1' });
    const res = await client.post('/dashboard/login', { public_key: site.publicKey, private_key: 'sk_wrong' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Wrong public or private key.');
    expect(html).toContain(`value="${site.publicKey}"`);
    expect(client.cookies.size).toBe(0);
    expect((await client.get('/dashboard/orders')).headers.get('location')).toBe('/dashboard');
  });

  it('without a session, pages go to the login form and their JSON answers 401', async () => {
    const client = new Client();
    for (const path of ['/dashboard/orders', '/dashboard/events', '/dashboard/rejections', '/dashboard/settings', '/dashboard/code', '/dashboard/share']) {
      const res = await client.get(path);
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, '/dashboard']);
    }
    expect((await client.get('/dashboard/views/orders.json')).status).toBe(401);
  });

  it('a tampered or forged cookie opens nothing', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const value = decodeURIComponent(client.cookies.get(SESSION_COOKIE)!);
    const [id, sig] = value.split('.');
    client.cookies.set(SESSION_COOKIE, encodeURIComponent(`${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}.${sig}`));
    expect((await client.get('/dashboard/orders')).status).toBe(303);
    client.cookies.set(SESSION_COOKIE, id);
    expect((await client.get('/dashboard/orders')).status).toBe(303);
  });

  it('a session expires on the server too, whatever the browser keeps', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    await env.DB.prepare('UPDATE dashboard_sessions SET expires_at = ? WHERE site_id = ?').bind(Date.now() - 1, site.siteId).run();
    expect((await client.get('/dashboard/orders')).headers.get('location')).toBe('/dashboard');
  });

  it("a new login ends the browser's previous session: its row is deleted, and a copy of its cookie opens nothing", async () => {
    const site = await newSite();
    const other = await newSite();
    const sessions = (s: TestSite) => env.DB.prepare('SELECT count(*) AS n FROM dashboard_sessions WHERE site_id = ?').bind(s.siteId).first<number>('n');
    const browser = await loggedIn(site);
    const copy = new Client();
    copy.cookies.set(SESSION_COOKIE, browser.cookies.get(SESSION_COOKIE)!);
    await loggedIn(site, browser); // the login form again, the old cookie still sent
    expect(await sessions(site)).toBe(1);
    expect((await copy.get('/dashboard/orders')).headers.get('location')).toBe('/dashboard');
    expect((await browser.get('/dashboard/orders')).status).toBe(200);
    // Logging in to another site from the same browser ends this one's session too.
    await loggedIn(other, browser);
    expect(await sessions(site)).toBe(0);
    expect(await sessions(other)).toBe(1);
  });

  it('Log out ends the session: the cookie is cleared and a copy of it no longer opens anything', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const copy = new Client();
    copy.cookies.set(SESSION_COOKIE, client.cookies.get(SESSION_COOKIE)!);
    const res = await client.post('/dashboard/logout', { _csrf: await client.csrf('/dashboard/orders') });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().join('\n')).toMatch(new RegExp(`${SESSION_COOKIE}=; Max-Age=0; Path=/dashboard`));
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await copy.get('/dashboard/orders')).headers.get('location')).toBe('/dashboard');
  });
});

describe('CSRF', () => {
  it('a changing form without the session token, or with another, is refused and changes nothing', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const other = await loggedIn(site);
    for (const token of [undefined, '', await other.csrf()]) {
      const res = await client.post('/dashboard/settings', { ...(token === undefined ? {} : { _csrf: token }), get_mode: 'on', order_validation_state: 'paid' });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('This form is out of date');
    }
    const settings = (await (await get(site, '/api/settings')).json()) as { settings: { get_mode: boolean } };
    expect(settings.settings.get_mode).toBe(false);
  });

  it('a form posted from another origin is refused even with the token (Hono csrf: Origin / Sec-Fetch-Site)', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const token = await client.csrf();
    const foreign = await client.post('/dashboard/settings', { _csrf: token, get_mode: 'on', order_validation_state: 'paid' }, 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('sent from another site');
    const crossSite = await client.fetch('/dashboard/settings', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ _csrf: token, get_mode: 'on', order_validation_state: 'paid' }),
    });
    expect(crossSite.status).toBe(403);
    const login = await new Client().post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey }, 'https://evil.example');
    expect(login.status).toBe(403);
    // The same form from the dashboard's own page is taken.
    expect((await client.post('/dashboard/settings', { _csrf: token, get_mode: 'on', order_validation_state: 'paid' })).status).toBe(303);
  });
});

describe('login throttling', () => {
  it(`after ${MAX_FAILURES} failures in 15 minutes (per IP and public key) the login answers 429 until the window ends`, async () => {
    const site = await newSite();
    const from = (ip: string) => new Client('https://tracker.test', { 'cf-connecting-ip': ip });
    const attacker = from('203.0.113.7');
    for (let i = 1; i < MAX_FAILURES; i++) expect((await attacker.post('/dashboard/login', { public_key: site.publicKey, private_key: `sk_guess${i}` })).status).toBe(400);
    const last = await attacker.post('/dashboard/login', { public_key: site.publicKey, private_key: 'sk_guess5' });
    expect(last.status).toBe(429);
    // Even the right keys wait: the form says why, and for how long.
    const right = await attacker.post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    const html = await right.text();
    expect(html).toContain('Too many failed attempts');
    expect(html).toContain('try again in 15 minutes');
    expect(html).toContain('<label for="public_key">Public key</label>');
    // Another client IP is not held up.
    expect((await from('203.0.113.8').post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey })).status).toBe(303);
    // When the window has passed, the right keys open.
    await env.DB.prepare('UPDATE login_failures SET window_start = window_start - 15 * 60000 WHERE client LIKE ?').bind(`203.0.113.7 ${site.publicKey}`).run();
    expect((await attacker.post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey })).status).toBe(303);
    // …and a success clears the count.
    const row = await env.DB.prepare('SELECT count(*) AS n FROM login_failures WHERE client = ?').bind(`203.0.113.7 ${site.publicKey}`).first<{ n: number }>();
    expect(row!.n).toBe(0);
  });

  it('a public key not even shaped like one gets the same refusal page, and writes nothing: no failure counted, no rejection', async () => {
    const count = (sql: string) => env.DB.prepare(sql).first<number>('n');
    const rejectionsBefore = await count('SELECT count(*) AS n FROM rejections');
    const client = new Client('https://tracker.test', { 'cf-connecting-ip': '198.51.100.77' });
    const shapeless = ['', 'nope', 'pk_short', `pk_${'a'.repeat(23)}`, 'sk_' + 'a'.repeat(43), 'x'.repeat(300)];
    for (const publicKey of [...shapeless, ...shapeless]) {
      const res = await client.post('/dashboard/login', { public_key: publicKey, private_key: 'sk_guess' });
      expect([publicKey, res.status]).toEqual([publicKey, 400]); // never 429: nothing was counted
      const html = await res.text();
      expect(html).toContain('Wrong public or private key.');
      expect(html).toContain('<label for="public_key">Public key</label>');
    }
    expect(await count("SELECT count(*) AS n FROM login_failures WHERE client LIKE '198.51.100.77 %'")).toBe(0);
    expect(await count('SELECT count(*) AS n FROM rejections')).toBe(rejectionsBefore);
    expect(client.cookies.size).toBe(0);
  });

  it('holds when the attempts come all at once: no more than the allowed failures are checked', async () => {
    const site = await newSite();
    const attacker = new Client('https://tracker.test', { 'cf-connecting-ip': '203.0.113.9' });
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attacker.post('/dashboard/login', { public_key: site.publicKey, private_key: `sk_burst${i}` }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 400)).toHaveLength(MAX_FAILURES - 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - (MAX_FAILURES - 1));
  });
});

describe('key rotation from the dashboard', () => {
  it('shows the new key once, refuses the old one at once, and ends every other session', async () => {
    const site = await newSite();
    const me = await loggedIn(site);
    const colleague = await loggedIn(site);
    const unconfirmed = await me.post('/dashboard/rotate', { _csrf: await me.csrf(), current_private_key: site.privateKey });
    expect(unconfirmed.status).toBe(400);
    const oldToken = await me.csrf();
    const res = await me.post('/dashboard/rotate', { _csrf: oldToken, confirm: 'yes', current_private_key: site.privateKey });
    expect(res.status).toBe(200);
    const html = await res.text();
    const newKey = /<pre id="new-private-key"><code>(sk_[A-Za-z0-9_-]{43})<\/code><\/pre>/.exec(html)?.[1];
    expect(newKey).toBeDefined();
    expect(res.headers.get('cache-control')).toBe('no-store');
    // The old key is refused, the new one works.
    expect((await get(site, '/api/settings')).status).toBe(401);
    expect((await get({ ...site, auth: `Basic ${btoa(`${site.publicKey}:${newKey}`)}` }, '/api/settings')).status).toBe(200);
    // Shown once: the settings page never shows it again.
    const again = await (await me.get('/dashboard/settings')).text();
    expect(again).not.toContain(newKey!);
    // The rotating merchant stays logged in (a new session, a new CSRF token); the others are out.
    expect(csrfIn(again)).toBe(csrfIn(html));
    expect(csrfIn(again)).not.toBe(oldToken);
    expect((await colleague.get('/dashboard/orders')).headers.get('location')).toBe('/dashboard');
    // The old private key no longer logs in.
    expect((await new Client().post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey })).status).toBe(400);
  });

  it('asks for the current private key: missing or wrong, a 400 page says so and nothing is rotated', async () => {
    const site = await newSite();
    const me = await loggedIn(site);
    const link = await createShareLink(env, site.siteId, 'Agency', 7);
    const other = await newSite(); // another site's key is as wrong as any
    for (const [key, says] of [
      [undefined, 'Type your current private key'],
      ['', 'Type your current private key'],
      ['sk_wrong', 'Wrong current private key'],
      [other.privateKey, 'Wrong current private key'],
    ] as const) {
      const res = await me.post('/dashboard/rotate', { _csrf: await me.csrf(), confirm: 'yes', ...(key === undefined ? {} : { current_private_key: key }) });
      expect([key, res.status]).toEqual([key, 400]);
      const html = await res.text();
      expect(html).toContain(says);
      expect(html).toContain('Nothing was rotated');
      expect(html).not.toMatch(/sk_[A-Za-z0-9_-]{43}/);
    }
    // The old key still works, the session is still open, the share link still opens.
    expect((await get(site, '/api/settings')).status).toBe(200);
    expect((await me.get('/dashboard/orders')).status).toBe(200);
    expect((await new Client().get(`/share/${link!.token}`)).status).toBe(200);
  });

  it('the form asks for the current key in a password field, and offers to keep the share links', async () => {
    const html = await (await (await loggedIn(await newSite())).get('/dashboard/settings')).text();
    const form = /<form method="post" action="\/dashboard\/rotate"[^]*?<\/form>/.exec(html)![0];
    expect(form).toMatch(/<label for="current_private_key">Current private key<\/label>/);
    expect(form).toMatch(/<input id="current_private_key" name="current_private_key" type="password"/);
    expect(form).toMatch(/<input type="checkbox" name="keep_share_links" value="yes"\/> Keep the share links/);
  });

  it('revokes every share link of the site and says so; another site\'s links stay', async () => {
    const site = await newSite();
    const me = await loggedIn(site);
    const links = [await createShareLink(env, site.siteId, 'Agency', 7), await createShareLink(env, site.siteId, 'Freelancer', 30)];
    const other = await newSite();
    const otherLink = await createShareLink(env, other.siteId, 'Theirs', 7);
    const res = await me.post('/dashboard/rotate', { _csrf: await me.csrf(), confirm: 'yes', current_private_key: site.privateKey });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('2 share links revoked: they no longer open.');
    for (const link of links) expect((await new Client().get(`/share/${link!.token}`)).status).toBe(410);
    const open = await env.DB.prepare('SELECT count(*) AS n FROM share_links WHERE site_id = ? AND revoked_at IS NULL').bind(site.siteId).first<number>('n');
    expect(open).toBe(0);
    expect((await new Client().get(`/share/${otherLink!.token}`)).status).toBe(200);
    expect(await (await me.get('/dashboard/share')).text()).toContain('No active link.');
  });

  it('with "keep share links" ticked, the links still open, and the page says so', async () => {
    const site = await newSite();
    const me = await loggedIn(site);
    const link = await createShareLink(env, site.siteId, 'Agency', 7);
    const res = await me.post('/dashboard/rotate', { _csrf: await me.csrf(), confirm: 'yes', current_private_key: site.privateKey, keep_share_links: 'yes' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Share links kept: 1 still opens.');
    expect((await new Client().get(`/share/${link!.token}`)).status).toBe(200);
  });
});

describe('assets', () => {
  it('serves the stylesheet and script with their types, cacheable', async () => {
    for (const [file, type] of [
      ['dashboard.css', 'text/css; charset=utf-8'],
      ['dashboard.js', 'text/javascript; charset=utf-8'],
    ]) {
      const res = await SELF.fetch(`https://tracker.test/dashboard/assets/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    }
    expect((await SELF.fetch('https://tracker.test/dashboard/assets/x.js')).status).toBe(404);
  });

  it('a name Object.prototype has (constructor, __proto__, toString, …) is no asset: 404', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await SELF.fetch(`https://tracker.test/dashboard/assets/${name}`);
      expect([name, res.status]).toEqual([name, 404]);
    }
  });
});
