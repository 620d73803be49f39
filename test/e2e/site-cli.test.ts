// `npm run site` against the local D1 of a running `npm run dev`: the keys it prints open the
// API at once, and after `rotate` the old private key stops working within the Worker's key
// cache lifetime (CACHE_TTL_MS, 5 s).
import { describe, expect, inject, it } from 'vitest';
import { basicAuth, runSite, type SiteKeys, siteJson } from './global-setup';

const POLL_MS = 500;
const POLL_UP_TO_MS = 10_000;
const REFUSED_WITHIN_MS = 6_000; // CACHE_TTL_MS (5 s) plus a poll and a request

const settings = (publicKey: string, privateKey: string) =>
  fetch(`${inject('baseUrl')}/api/settings`, { headers: { authorization: basicAuth(publicKey, privateKey) } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls GET /api/settings with these keys until 401; ms from `since` to the refused request. */
async function refusedAfter(publicKey: string, privateKey: string, since: number): Promise<number> {
  while (Date.now() - since < POLL_UP_TO_MS) {
    const sent = Date.now();
    const res = await settings(publicKey, privateKey);
    if (res.status === 401) {
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="shopbeacon"');
      return sent - since;
    }
    expect(res.status).toBe(200);
    await sleep(POLL_MS);
  }
  throw new Error(`the old private key still works ${POLL_UP_TO_MS / 1000} s after rotate`);
}

const create = (name: string): SiteKeys => siteJson(runSite(['create', '--name', name, '--json'], inject('stateDir')));
const rotate = (publicKey: string): SiteKeys => siteJson(runSite(['rotate', '--public-key', publicKey, '--json'], inject('stateDir')));

describe('npm run site', () => {
  it('create: the printed keys open the API of the running Worker', async () => {
    const site = create('CLI e2e shop');
    expect(site.siteId).toBeGreaterThan(0);
    expect(site.publicKey).toMatch(/^pk_[A-Za-z0-9_-]{22}$/);
    expect(site.privateKey).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);

    const res = await settings(site.publicKey, site.privateKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ settings: { get_mode: false, order_validation_state: 'paid' } });

    const wrong = await settings(site.publicKey, `sk_${'x'.repeat(43)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="shopbeacon"');
  });

  it('rotate: the new key works at once, the old one is refused within ~6 s', async () => {
    const site = create('CLI e2e rotate');
    expect((await settings(site.publicKey, site.privateKey)).status).toBe(200); // cached by the Worker now

    const rotated = rotate(site.publicKey);
    const rotatedAt = Date.now();
    expect(rotated).toMatchObject({ siteId: site.siteId, publicKey: site.publicKey });
    expect(rotated.privateKey).not.toBe(site.privateKey);

    expect((await settings(site.publicKey, rotated.privateKey)).status).toBe(200);
    expect(await refusedAfter(site.publicKey, site.privateKey, rotatedAt)).toBeLessThanOrEqual(REFUSED_WITHIN_MS);
    expect((await settings(site.publicKey, rotated.privateKey)).status).toBe(200);
  });

  it('rotate: the old key is refused within ~6 s even if the new one is never used', async () => {
    // No request with the new key refreshes the Worker's cached row: only its lifetime ends it.
    const site = create('CLI e2e rotate unused');
    expect((await settings(site.publicKey, site.privateKey)).status).toBe(200);

    rotate(site.publicKey);
    const rotatedAt = Date.now();
    expect(await refusedAfter(site.publicKey, site.privateKey, rotatedAt)).toBeLessThanOrEqual(REFUSED_WITHIN_MS);
  });

  it('create without --name exits 2 (a usage mistake) with the usage', () => {
    const r = runSite(['create', '--json'], inject('stateDir'));
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('a site needs a name');
    expect(r.stderr).toContain('usage:');
    expect(r.stdout).not.toContain('{');
  });

  it('rotate with an unknown public key exits 1 (refused), without the usage', () => {
    const unknown = `pk_${'Z'.repeat(22)}`;
    const r = runSite(['rotate', '--public-key', unknown, '--json'], inject('stateDir'));
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).not.toContain('usage:');
    expect(r.stderr).toContain(`no site has the public key ${unknown}`);
    expect(r.stdout).not.toContain('{');
  });

  it('rotate with a malformed public key exits non-zero', () => {
    const r = runSite(['rotate', '--public-key', 'not-a-key'], inject('stateDir'));
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toContain('usage:');
  });
});
