import Cookies from 'js-cookie';
import { describe, expect, it, vi } from 'vitest';
import { readSbt, widestDomain, writeSbt } from '../src/cookie';
import * as lite from '../src/cookie-lite';
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

  it('reuses an sbt already set (by an earlier page or the Worker) and does not write it again: its 13 months run from the first visit', async () => {
    const page = openPage('https://www.shop.example/');
    document.cookie = 'sbt=worker.set-id_0123456789; path=/';
    const writes = cookieWrites();
    createTracker({ key: freshKey(), endpoint: 'https://track.shop.example', autoPage: false }).page();
    await settle();
    expect((await page.batches())[0].events[0].sbt).toBe('worker.set-id_0123456789');
    expect(writes).toEqual([]);
  });

  it('replaces an sbt that is not a valid visitor id', () => {
    openPage('https://www.shop.example/');
    document.cookie = 'sbt=short; path=/';
    expect(readSbt()).toBeUndefined();
    createTracker({ key: freshKey(), endpoint: 'https://track.shop.example', autoPage: false });
    expect(readSbt()).toMatch(/^[\w-]{22}$/);
  });
});

describe("cookie-lite, cookie-jar's place (js-cookie's calls) in the script tag", () => {
  /** src/cookie.ts as the npm build has it (cookie-jar: js-cookie), or as the script tag has it (cookie-lite). */
  async function cookieModule(withLite: boolean) {
    vi.resetModules();
    if (withLite) vi.doMock('../src/cookie-jar', () => import('../src/cookie-lite'));
    else vi.doUnmock('../src/cookie-jar');
    const module = await import('../src/cookie');
    vi.doUnmock('../src/cookie-jar');
    return module;
  }

  it('makes cookie.ts write what js-cookie makes it write, string for string', async () => {
    const writes: string[][] = [];
    for (const withLite of [false, true]) {
      const { dropSbt, widestDomain, writeSbt } = await cookieModule(withLite);
      for (const url of ['https://a.b.shop.co.uk/', 'http://localhost:8787/', 'https://www.shop.example/']) {
        openPage(url);
        vi.spyOn(crypto, 'getRandomValues').mockImplementation((a) => a); // one probe value for both
        const w = cookieWrites();
        widestDomain(location.hostname);
        writeSbt('worker.set-id_0123456789');
        dropSbt();
        writes.push(w);
        vi.restoreAllMocks();
      }
    }
    expect(writes.slice(3)).toEqual(writes.slice(0, 3));
    expect(writes.flat().length).toBeGreaterThan(10);
  });

  it('reads what js-cookie reads: the first of a name, not a name it ends or starts', () => {
    openPage('https://www.shop.example/');
    const jars = [
      '',
      'sbt=AAAAAAAAAAAAAAAAAAAAAA',
      'a=1; sbt=worker.set-id_0123456789; b=2',
      'xsbt=no; sbt_probe=no; sbt=yes.yes.yes',
      'sbt=first.first; sbt=second.second',
      'sbt=',
      'other=1',
      'sbt="quoted.quoted"; b=2',
      'a=1; sbt="quoted.quoted"',
      'sbt=""',
    ];
    const get = vi.spyOn(document, 'cookie', 'get');
    for (const jar of jars) {
      get.mockReturnValue(jar);
      for (const name of ['sbt', 'sbt_probe']) expect(lite.get(name), `${name} in "${jar}"`).toBe(Cookies.get(name));
    }
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
