// Share links: created with a random token shown once (only its hash stored), expiring,
// revocable; the page they open is read-only and has no settings or private key.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SHARE_DAYS_MAX, shareAccess } from '../src/dashboard/share';
import { SHARE_FLASH_COOKIE } from '../src/dashboard/share-flash';
import { Client, loggedIn } from './dashboard-client';
import { newSite, post, type TestSite } from './helpers';

type Json = Record<string, any>;

const shownLink = (html: string) => /<pre id="share-url"><code>(https:\/\/tracker\.test\/share\/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43})<\/code><\/pre>/.exec(html)?.[1];

/** Creates a link as the form does: the POST redirects, and the page it redirects to shows the link. */
async function createLink(site: TestSite, form: Record<string, string> = {}) {
  const client = await loggedIn(site);
  const res = await client.post('/dashboard/share', { _csrf: await client.csrf('/dashboard/share'), label: 'Agency', ...form });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/dashboard/share');
  const html = await (await client.get('/dashboard/share')).text();
  const url = shownLink(html)!;
  return { client, html, url, path: new URL(url).pathname, token: url.split('/').pop()!, setCookie: res.headers.getSetCookie().join('\n') };
}

const linkRows = async (site: TestSite) => (await env.DB.prepare('SELECT count(*) AS n FROM share_links WHERE site_id = ?').bind(site.siteId).first<number>('n'))!;

describe('share links', () => {
  it('shows the link once, stores only its SHA-256, lists it, and offers a mailto with the same information', async () => {
    const site = await newSite();
    const { client, html, url, token } = await createLink(site);
    const row = await env.DB.prepare('SELECT token_hash, label, expires_at - created_at AS ttl FROM share_links WHERE site_id = ?').bind(site.siteId).first<Json>();
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(row).toEqual({ token_hash: digest, label: 'Agency', ttl: 7 * 86_400_000 });
    const mailto = /<a class="button" id="share-mailto" href="([^"]+)"/.exec(html)![1].replaceAll('&amp;', '&');
    expect(mailto).toMatch(/^mailto:\?subject=/);
    const body = decodeURIComponent(/&body=(.*)$/.exec(mailto)![1]);
    expect(body).toContain(url);
    expect(body).toContain(`Public key: ${site.publicKey}`);
    expect(body).toContain('/docs#post-apiupdateorder');
    const list = await (await client.get('/dashboard/share')).text();
    expect(list).toContain('<td data-label="For">Agency</td>');
    expect(list).not.toContain(token);
  });

  it('the form redirects (POST-redirect-GET): the page shows the new link once, and a reload neither shows it again nor creates another', async () => {
    const site = await newSite();
    const { client, url, setCookie } = await createLink(site);
    expect(url).toBeDefined();
    // The link rides to the page in a short-lived flash cookie: signed, HttpOnly, for the share page only.
    expect(setCookie).toMatch(new RegExp(`^${SHARE_FLASH_COOKIE}=[^;]+; Max-Age=60; Path=/dashboard/share; HttpOnly; Secure; SameSite=Strict$`));
    expect(client.cookies.has(SHARE_FLASH_COOKIE)).toBe(false); // the page cleared it
    for (let reload = 0; reload < 2; reload++) {
      const res = await client.get('/dashboard/share');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(shownLink(html)).toBeUndefined();
      expect(html).toContain('<td data-label="For">Agency</td>');
    }
    expect(await linkRows(site)).toBe(1);
  });

  it("the flash shows only a live link of the session's own site: not another site's, not an altered one, not a revoked one", async () => {
    const site = await newSite();
    const mine = await loggedIn(site);
    const other = await newSite();
    const theirs = await loggedIn(other);
    const flash = async (from: Client) => {
      await from.post('/dashboard/share', { _csrf: await from.csrf('/dashboard/share'), label: 'Agency' });
      return from.cookies.get(SHARE_FLASH_COOKIE)!;
    };
    // Another site's flash, carried into this site's session.
    mine.cookies.set(SHARE_FLASH_COOKIE, await flash(theirs));
    expect(shownLink(await (await mine.get('/dashboard/share')).text())).toBeUndefined();
    // An altered one.
    const value = decodeURIComponent(await flash(mine));
    mine.cookies.set(SHARE_FLASH_COOKIE, encodeURIComponent((value[0] === 'A' ? 'B' : 'A') + value.slice(1)));
    expect(shownLink(await (await mine.get('/dashboard/share')).text())).toBeUndefined();
    // One revoked before the page was read.
    mine.cookies.set(SHARE_FLASH_COOKIE, await flash(mine));
    await env.DB.prepare('UPDATE share_links SET revoked_at = ? WHERE site_id = ?').bind(Date.now(), site.siteId).run();
    expect(shownLink(await (await mine.get('/dashboard/share')).text())).toBeUndefined();
    expect(mine.cookies.has(SHARE_FLASH_COOKIE)).toBe(false);
  });

  it('expiry is 1 to 30 days', async () => {
    const site = await newSite();
    await createLink(site, { days: '365' });
    await createLink(site, { days: '0' });
    const { results } = await env.DB.prepare('SELECT expires_at - created_at AS ttl FROM share_links WHERE site_id = ? ORDER BY id').bind(site.siteId).all<{ ttl: number }>();
    expect(results.map((r) => r.ttl / 86_400_000)).toEqual([SHARE_DAYS_MAX, 1]);
  });

  it('opens a read-only page: docs, public key, code examples and the three views; no settings, no private key, no form that changes anything', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', { data: { customer_email: 'a@shop.test', order_idorder: 'SHARED-1', order_state: 20, order_amount: 5, order_crea_dt: '2026-11-25 10:00:00' } }, 'json');
    const { path } = await createLink(site);
    const visitor = new Client(); // no session
    const res = await visitor.get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain(`<code id="public-key">${site.publicKey}</code>`);
    expect(html).toContain('/docs#the-tracker-in-a-shop');
    for (const id of ['code-script', 'code-npm', 'code-php', 'orders', 'events', 'rejections']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('>SHARED-1</td>');
    expect(html).toContain(`data-live="${path}/views/orders.json"`);
    expect(html).not.toMatch(/method="post"/i);
    expect(html).not.toMatch(/sk_[A-Za-z0-9_-]{43}/);
    expect(html).not.toContain(site.privateKey);
    expect(html).not.toContain('/dashboard/settings');
    expect(html).not.toContain('Rotate');
    const json = (await (await visitor.get(`${path}/views/orders.json?q=shared`)).json()) as Json;
    expect(json.rows.map((r: string[]) => r[0])).toEqual(['SHARED-1']);
    // It is no session: the dashboard stays closed.
    expect((await visitor.get('/dashboard/orders')).status).toBe(303);
  });

  it('stops working when revoked (410), when expired (410), and an unknown token is 404', async () => {
    const site = await newSite();
    const { client, path, token } = await createLink(site);
    const id = (await env.DB.prepare('SELECT id FROM share_links WHERE site_id = ?').bind(site.siteId).first<{ id: number }>())!.id;
    // Another site's merchant cannot revoke it.
    const stranger = await loggedIn(await newSite());
    await stranger.post(`/dashboard/share/${id}/revoke`, { _csrf: await stranger.csrf('/dashboard/share') });
    expect((await new Client().get(path)).status).toBe(200);
    const revoke = await client.post(`/dashboard/share/${id}/revoke`, { _csrf: await client.csrf('/dashboard/share') });
    expect(revoke.status).toBe(303);
    const gone = await new Client().get(path);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('revoked or has expired');
    expect((await new Client().get(`${path}/views/orders.json`)).status).toBe(410);
    expect(await (await client.get('/dashboard/share')).text()).toContain('No active link.');

    const second = await createLink(site);
    await env.DB.prepare('UPDATE share_links SET expires_at = ? WHERE token_hash != (SELECT token_hash FROM share_links WHERE id = ?) AND site_id = ?').bind(Date.now() - 1, id, site.siteId).run();
    expect((await shareAccess(env, second.token)).status).toBe('gone');
    expect((await new Client().get(second.path)).status).toBe(410);

    expect((await new Client().get(`/share/${'A'.repeat(43)}`)).status).toBe(404);
    expect((await new Client().get('/share/short')).status).toBe(404);
    expect(token).not.toBe(second.token);
  });

  it('is signed: a forged or altered link is refused (404) before any database read', async () => {
    const site = await newSite();
    const { token } = await createLink(site);
    const [nonce, sig] = token.split('.');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const db = { prepare: () => { throw new Error('no database read for a bad signature'); } } as unknown as D1Database;
    for (const bad of [`${flip(nonce)}.${sig}`, `${nonce}.${flip(sig)}`, `${'A'.repeat(43)}.${'A'.repeat(43)}`]) {
      expect((await shareAccess({ ...env, DB: db }, bad)).status).toBe('unknown');
      expect((await new Client().get(`/share/${bad}`)).status).toBe(404);
    }
    expect((await shareAccess(env, token)).status).toBe('open');
  });
});
