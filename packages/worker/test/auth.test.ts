import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { hashKey } from '../src/keys';
import { rotatePrivateKey } from '../src/sites';
import { get, newSite, post, seedOrder, SELF } from './helpers';

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

describe('HTTP Basic auth with the site keys', () => {
  it('asks for credentials with a Basic challenge and a JSON body (CURLAUTH_ANY needs the challenge)', async () => {
    const res = await SELF.fetch('https://tracker.test/api/updateOrder', { method: 'POST', body: 'data[customer_email]=a@b.co' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="shopbeacon"');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('refuses a wrong private key, an unknown public key and a malformed header alike', async () => {
    const site = await newSite();
    for (const authorization of [
      basic(site.publicKey, `${site.privateKey}x`),
      basic(site.publicKey, ''),
      basic('pk_AAAAAAAAAAAAAAAAAAAAAA', site.privateKey),
      basic(site.privateKey, site.publicKey),
      'Basic !!!',
      `Bearer ${site.privateKey}`,
    ]) {
      const res = await SELF.fetch('https://tracker.test/api/orders/recent', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="shopbeacon"');
      expect((await res.json()) as object).toMatchObject({ error: { code: 'unauthorized', message: 'Wrong public or private key.' } });
    }
  });

  it('stores the private key only as its SHA-256', async () => {
    const site = await newSite();
    const row = await env.DB.prepare('SELECT * FROM sites WHERE id = ?').bind(site.siteId).first<Record<string, unknown>>();
    expect(Object.values(row!)).not.toContain(site.privateKey);
    expect(row!.private_key_hash).toBe(await hashKey(site.privateKey));
  });

  it('one site never reads or changes another site’s data', async () => {
    const a = await newSite();
    const b = await newSite();
    expect((await post(a, '/api/updateOrder', seedOrder())).status).toBe(200);
    const seen = (await (await get(b, '/api/orders/recent')).json()) as { orders: unknown[] };
    expect(seen.orders).toEqual([]);
    // Same order id and customer under site b: a new order and a new profile, a's untouched.
    const order = seedOrder();
    order.data.order_state = '100';
    const res = await post(b, '/api/updateOrder', order);
    expect(((await res.json()) as { created: boolean }).created).toBe(true);
    const mine = (await (await get(a, '/api/orders/recent')).json()) as { orders: { order_state: number }[] };
    expect(mine.orders.map((o) => o.order_state)).toEqual([10]);
    const profiles = await env.DB.prepare("SELECT site_id FROM profiles WHERE email = 'john@doe.com' AND site_id IN (?, ?)")
      .bind(a.siteId, b.siteId)
      .all();
    expect(profiles.results).toHaveLength(2);
    // And a's public key with b's private key opens nothing.
    const mixed = await SELF.fetch('https://tracker.test/api/settings', { headers: { authorization: basic(a.publicKey, b.privateKey) } });
    expect(mixed.status).toBe(401);
  });

  it('a rotated private key stops working at once in the isolate that rotated it; the new one works', async () => {
    const site = await newSite();
    expect((await get(site, '/api/settings')).status).toBe(200); // now cached in this isolate
    const rotated = await rotatePrivateKey(env.DB, site.publicKey);
    expect(rotated!.privateKey).not.toBe(site.privateKey);
    expect((await get(site, '/api/settings')).status).toBe(401);
    const fresh = { ...site, auth: basic(site.publicKey, rotated!.privateKey) };
    expect((await get(fresh, '/api/settings')).status).toBe(200);
    expect(await rotatePrivateKey(env.DB, 'pk_nobodyhasthiskey0000')).toBeNull();
  });

  it('remembers an unknown public key for the cache lifetime: made-up keys cost one D1 read each, not one per request', async () => {
    const publicKey = 'pk_' + 'C'.repeat(22);
    const privateKey = 'sk_' + 'C'.repeat(43);
    const authorization = basic(publicKey, privateKey);
    expect((await SELF.fetch('https://tracker.test/api/settings', { headers: { authorization } })).status).toBe(401);
    // The site appears in D1 (the CLI, another isolate): this isolate still knows it as unknown.
    await env.DB.prepare('INSERT INTO sites (name, public_key, private_key_hash, key_rotated_at, created_at) VALUES (?, ?, ?, 0, 0)')
      .bind('later', publicKey, await hashKey(privateKey))
      .run();
    expect((await SELF.fetch('https://tracker.test/api/settings', { headers: { authorization } })).status).toBe(401);
  });

  it('a key rotated elsewhere (another isolate, the CLI) is accepted at once: a mismatch re-reads the row', async () => {
    const site = await newSite();
    expect((await get(site, '/api/settings')).status).toBe(200);
    const newKey = 'sk_' + 'B'.repeat(43);
    await env.DB.prepare('UPDATE sites SET private_key_hash = ? WHERE id = ?').bind(await hashKey(newKey), site.siteId).run();
    const res = await SELF.fetch('https://tracker.test/api/settings', { headers: { authorization: basic(site.publicKey, newKey) } });
    expect(res.status).toBe(200);
  });
});
