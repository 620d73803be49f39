import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SELF } from './helpers';

const manifest = async () => (await (await env.ASSETS.fetch('https://assets.local/manifest.json')).json()) as { hash: string; bytes: number };

describe('GET /sdk.js', () => {
  it('serves the built script with a day of caching, an ETag, and CORS for any page', async () => {
    const res = await SELF.fetch('https://tracker.test/sdk.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400, stale-while-revalidate=604800');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('etag')).toBeTruthy();
    expect((await res.arrayBuffer()).byteLength).toBe((await manifest()).bytes);
    const again = await SELF.fetch('https://tracker.test/sdk.js', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves /sdk.debug.js, the build that checks every value, cached as /sdk.js', async () => {
    const res = await SELF.fetch('https://tracker.test/sdk.debug.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400, stale-while-revalidate=604800');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const debug = await res.text();
    const light = await (await SELF.fetch('https://tracker.test/sdk.js')).text();
    // the value checks (and their messages) are in the debug build only
    expect(debug).toContain('one of ');
    expect(light).not.toContain('one of ');
    expect(debug.length).toBeGreaterThan(light.length);
  });

  it('serves the content-hashed URL as immutable, and no other version', async () => {
    const { hash } = await manifest();
    const res = await SELF.fetch(`https://tracker.test/sdk.${hash}.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await SELF.fetch('https://tracker.test/sdk.00000000.js')).status).toBe(404);
    expect((await SELF.fetch('https://tracker.test/manifest.json')).status).toBe(404);
    expect((await SELF.fetch('https://tracker.test/index.d.ts')).status).toBe(404);
  });
});

describe('GET /docs', () => {
  it('serves the README as a page, with the anchors the dashboard links to, and no script', async () => {
    const res = await SELF.fetch('https://tracker.test/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    const { DOC_SECTIONS } = await import('../src/dashboard/docs');
    for (const [anchor] of DOC_SECTIONS) expect(html).toContain(`id="${anchor}"`);
    expect(html).not.toMatch(/<script/i);
  });
});
