// A site deleted from D1 while a merchant or a developer still has it open: every page answers
// 404 (never 500). Deleted outright, its sessions and links go with it (foreign keys); deleted
// between a request's check and its reads, the page finds no site.
import { describe, expect, it } from 'vitest';
import { Client, loggedIn } from './dashboard-client';
import { deletedMidRequest, deleteSite } from './deleted-site';
import { newSite, type TestSite } from './helpers';

async function shareLink(site: TestSite) {
  const client = await loggedIn(site);
  await client.post('/dashboard/share', { _csrf: await client.csrf('/dashboard/share'), label: 'Agency' });
  const html = await (await client.get('/dashboard/share')).text();
  return new URL(/<pre id="share-url"><code>([^<]+)<\/code><\/pre>/.exec(html)![1]).pathname;
}

describe('a deleted site', () => {
  it('its share link answers 404 "Link not found", page and views', async () => {
    const site = await newSite();
    const path = await shareLink(site);
    await deleteSite(site);
    const res = await new Client().get(path);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Link not found');
    expect((await new Client().get(`${path}/views/orders.json`)).status).toBe(404);
  });

  it('deleted while its share link is being opened: 404 "No such site", page and views', async () => {
    for (const suffix of ['', '/views/orders.json']) {
      const site = await newSite();
      const path = await shareLink(site);
      const res = await deletedMidRequest(site, 'share link', () => new Client().get(`${path}${suffix}`));
      expect([suffix, res.status]).toEqual([suffix, 404]);
    }
  });

  it("the merchant's open session goes to the login form, and logging in again is refused", async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    await deleteSite(site);
    for (const path of ['/dashboard/orders', '/dashboard/settings', '/dashboard/share']) {
      const res = await client.get(path);
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, '/dashboard']);
    }
    const login = await new Client().post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey });
    expect(login.status).toBe(400);
  });

  it('deleted while a page of an open session is being served: 404 "No such site" on every page and form', async () => {
    const requests: Record<string, (client: Client, csrf: string, site: TestSite) => Promise<Response>> = {
      'GET settings': (client) => client.get('/dashboard/settings'),
      'POST settings': (client, csrf) => client.post('/dashboard/settings', { _csrf: csrf, order_validation_state: 'paid' }),
      'GET orders': (client) => client.get('/dashboard/orders'),
      'GET events': (client) => client.get('/dashboard/events'),
      'GET rejections': (client) => client.get('/dashboard/rejections'),
      'GET orders.json': (client) => client.get('/dashboard/views/orders.json'),
      'GET code': (client) => client.get('/dashboard/code'),
      'POST share': (client, csrf) => client.post('/dashboard/share', { _csrf: csrf, label: 'Agency' }),
      'POST rotate': (client, csrf, site) => client.post('/dashboard/rotate', { _csrf: csrf, confirm: 'yes', current_private_key: site.privateKey }),
    };
    for (const [name, request] of Object.entries(requests)) {
      const site = await newSite(); // one per request: each deletion ends the site for good
      const client = await loggedIn(site);
      const csrf = await client.csrf();
      const res = await deletedMidRequest(site, 'session', () => request(client, csrf, site));
      expect([name, res.status]).toEqual([name, 404]);
      if (!name.endsWith('.json')) expect(await res.text()).toContain('No such site');
    }
  });
});
