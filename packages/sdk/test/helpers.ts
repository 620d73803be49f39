// Test helpers: a clean page at a URL, and a record of every request the SDK sends.
import type { CollectBatch } from '@shopbeacon/protocol';
import { vi } from 'vitest';
import { createTracker } from '../src/index';

export interface Sent {
  url: string;
  via: 'beacon' | 'fetch';
  method: string;
  /** The body as text (beacon and POST fetch), and its content type. */
  body?: string;
  type?: string;
  init?: RequestInit;
}

export const ENDPOINT = 'https://track.shop.example';

let keys = 0;
/** A public key no earlier test used: each tracker's stored queue is its own. */
export const freshKey = () => `pk_test${++keys}`;

/** Expires every cookie the page sees, on every domain it could have been set on. */
export function clearCookies() {
  const labels = location.hostname.split('.');
  for (const pair of document.cookie.split('; ').filter(Boolean)) {
    const name = pair.split('=')[0];
    document.cookie = `${name}=; path=/; max-age=-1`;
    for (let i = 0; i < labels.length; i++) document.cookie = `${name}=; path=/; max-age=-1; domain=${labels.slice(i).join('.')}`;
  }
}

export interface Page {
  sent: Sent[];
  /** What sendBeacon answers (true: queued). */
  beaconAnswer: boolean;
  /** What fetch resolves to (a status), or 'network' to reject. */
  fetchAnswer: number | 'network';
  warnings: string[];
  /** The bodies sent, parsed (beacon and POST fetch). */
  batches(): Promise<CollectBatch[]>;
}

/** A clean page at `url`, with sendBeacon and fetch recorded and fake timers. */
export function openPage(url = 'https://www.shop.example/', nav: { gpc?: boolean; dnt?: string; noBeacon?: boolean } = {}): Page {
  vi.useFakeTimers({ now: new Date('2026-11-25T12:00:00Z') });
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url);
  clearCookies();
  localStorage.clear();
  sessionStorage.clear();
  const page: Page = {
    sent: [],
    beaconAnswer: true,
    fetchAnswer: 200,
    warnings: [],
    async batches() {
      return page.sent.filter((s) => s.body !== undefined).map((s) => JSON.parse(s.body!));
    },
  };
  /** A text body, typed as the Fetch standard types a string. */
  const record = (s: Sent, body?: unknown) => {
    page.sent.push(s);
    if (typeof body == 'string') Object.assign(s, { body, type: 'text/plain;charset=UTF-8' });
  };
  const sendBeacon = nav.noBeacon
    ? undefined
    : vi.fn((url: string, body: BodyInit) => {
        if (page.beaconAnswer) record({ url, via: 'beacon', method: 'POST' }, body);
        return page.beaconAnswer;
      });
  Object.defineProperty(navigator, 'sendBeacon', { value: sendBeacon, configurable: true, writable: true });
  Object.defineProperty(navigator, 'globalPrivacyControl', { value: nav.gpc, configurable: true });
  Object.defineProperty(navigator, 'doNotTrack', { value: nav.dnt ?? null, configurable: true });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      record({ url, via: 'fetch', method: init.method || 'GET', init }, init.body);
      if (page.fetchAnswer == 'network') throw new TypeError('Failed to fetch');
      return new Response(null, { status: page.fetchAnswer });
    }),
  );
  vi.spyOn(console, 'warn').mockImplementation((m: string) => void page.warnings.push(m));
  return page;
}

/** Lets timers (the 1 s batching delay) and promises run. */
export async function settle(ms = 1000) {
  await vi.advanceTimersByTimeAsync(ms);
}

export const order = {
  customer_email: 'john@doe.com',
  order_idorder: '0000001',
  order_state: 20,
  order_amount: 158.31,
  order_crea_dt: '2014-06-21 14:31:08',
} as const;

/** A tracker on a fresh key, without automatic page views (tests send what they assert on). */
export const testTracker = (options: Partial<Parameters<typeof createTracker>[0]> = {}) =>
  createTracker({ key: freshKey(), endpoint: ENDPOINT, autoPage: false, ...options });
