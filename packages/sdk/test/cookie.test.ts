import { afterEach, describe, expect, it, vi } from 'vitest';
import { readSbt, widestDomain, writeSbt } from '../src/cookie';
import { createTracker } from '../src/index';
import { freshKey, openPage, settle } from './helpers';

/** The expiry of an sbt written now: js-cookie turns `expires: 395` (days) into a date. */
const in395days = () => new Date(Date.now() + 395 * 864e5).toUTCString();

/** Every cookie string the page writes. */
function cookieWrites() {
  const writes: string[] = [];
  let proto = document;
  while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto);
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'cookie')!;
  vi.spyOn(document, 'cookie', 'set').mockImplementation(function (this: Document, v: string) {
    writes.push(v);
    descriptor.set!.call(this, v);
  });
  return writes;
}

describe('sbt cookie', () => {
  it('goes on the widest domain the browser accepts: shop.co.uk for a.b.shop.co.uk, not co.uk', () => {
    openPage('https://a.b.shop.co.uk/');
    const writes = cookieWrites();
    expect(widestDomain('a.b.shop.co.uk')).toBe('shop.co.uk');
    // co.uk (a public suffix) was tried first and refused; the probe is gone
    expect(writes.map((w) => w.match(/domain=([^;]+)/)?.[1])).toEqual(['co.uk', 'shop.co.uk', 'shop.co.uk']);
    expect(writes.at(-1)).toBe(`sbt_probe=; path=/; domain=shop.co.uk; expires=${new Date(Date.now() - 864e5).toUTCString()}`);
    expect(document.cookie).not.toContain('sbt_probe');
  });

  it('is shared by www. and checkout. of one shop', () => {
    openPage('https://www.shop.example/');
    writeSbt('AAAAAAAAAAAAAAAAAAAAAA');
    (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL('https://checkout.shop.example/pay');
    expect(readSbt()).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('is host-only where no domain takes it (localhost)', () => {
    openPage('http://localhost:8787/');
    const writes = cookieWrites();
    writeSbt('BBBBBBBBBBBBBBBBBBBBBB');
    expect(writes.at(-1)).toBe(`sbt=BBBBBBBBBBBBBBBBBBBBBB; path=/; expires=${in395days()}; sameSite=lax`);
    expect(readSbt()).toBe('BBBBBBBBBBBBBBBBBBBBBB');
  });

  it('is set on first load: random 128 bits in base64url, 395 days, SameSite=Lax, Secure on https', async () => {
    const page = openPage('https://www.shop.example/');
    const writes = cookieWrites();
    const t = createTracker({ key: freshKey(), endpoint: 'https://track.shop.example', autoPage: false });
    const sbt = readSbt()!;
    expect(sbt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(writes.at(-1)).toBe(`sbt=${sbt}; path=/; domain=shop.example; expires=${in395days()}; sameSite=lax; secure`);
    t.page();
    await settle();
    expect((await page.batches())[0].events[0].sbt).toBe(sbt);
  });

  it('reuses an sbt already set (by an earlier page or the Worker) and refreshes its expiry', async () => {
    const page = openPage('https://www.shop.example/');
    document.cookie = 'sbt=worker.set-id_0123456789; path=/';
    const writes = cookieWrites();
    const expires = in395days();
    createTracker({ key: freshKey(), endpoint: 'https://track.shop.example', autoPage: false }).page();
    await settle();
    expect((await page.batches())[0].events[0].sbt).toBe('worker.set-id_0123456789');
    expect(writes.at(-1)).toBe(`sbt=worker.set-id_0123456789; path=/; domain=shop.example; expires=${expires}; sameSite=lax; secure`);
  });

  it('replaces an sbt that is not a valid visitor id', () => {
    openPage('https://www.shop.example/');
    document.cookie = 'sbt=short; path=/';
    expect(readSbt()).toBeUndefined();
    createTracker({ key: freshKey(), endpoint: 'https://track.shop.example', autoPage: false });
    expect(readSbt()).toMatch(/^[\w-]{22}$/);
  });
});

describe('randomId', () => {
  it('is 128 random bits in 22 base64url characters', async () => {
    const { randomId } = await import('../src/id');
    const ids = new Set(Array.from({ length: 1000 }, randomId));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});
