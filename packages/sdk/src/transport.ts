// What leaves the browser. Beacon mode POSTs CollectBatch JSON to /collect; GET mode sends one
// GET per event with the data in PHP bracket syntax (SPREAD's "mode GET", seed 000).
import type { CollectEvent } from '@shopbeacon/protocol';
import { warn } from './id';
import type { Queue, Stored } from './queue';

/** Our retry bookkeeping stays home. */
const strip = ({ r, n, ...event }: Stored): CollectEvent => event;

export const bytes = (s: string) => new Blob([s]).size;

/** The CollectBatch body. `visit` is 1 on the first request of a visit: the Worker then refreshes sbt. */
export const body = (key: string, events: Stored[], visit?: 1) => JSON.stringify({ key, visit, events: events.map(strip) });

/**
 * key=…&data[items][0][sku]=…&data[custom_fields][327]=…: what PHP's http_build_query writes,
 * undefined left out.
 */
const query = (v: unknown, name: string): string =>
  v && typeof v == 'object' && Object.keys(v).length
    ? Object.keys(v)
        .map((k) => query((v as Record<string, unknown>)[k], name ? `${name}[${k}]` : k))
        .join('')
    : v === undefined
      ? ''
      : // An empty list would vanish: "name=" is how a form says "clear" (product_attributes).
        `&${name}=${encodeURIComponent(v && typeof v == 'object' ? '' : (v as string))}`;

/** GET mode's request for one event: /collect?key=…[&visit=1]&type=…&id=…&ts=…&sbt=…&data[…]=… */
export const getUrl = (url: string, key: string, e: Stored, visit?: 1) => url + '?' + query({ key, visit, ...strip(e) }, '').slice(1);

/**
 * Hands a batch over: a beacon of `blob`, else a fetch of `url` (a POST of `blob`, or GET mode's
 * URL). sendBeacon only answers "queued or not": true counts as delivered. fetch shows the
 * status: 2xx and 4xx are done (4xx with a warning: sending again cannot help), a network error
 * or a 5xx keeps them for later. Before fetching, each event gets its next try time (10 s,
 * doubling), so other flushes and tabs leave it alone while in flight, and a page that dies
 * before the answer retries it later.
 */
export function send(queue: Queue, events: Stored[], url: string, blob?: Blob) {
  const ids = events.map((e) => e.id);
  const done = () => queue((all) => all.filter((e) => !ids.includes(e.id)));
  if (blob && navigator.sendBeacon?.(url, blob)) return done();
  const now = Date.now();
  queue((all) => all.map((e) => (ids.includes(e.id) ? { ...e, n: (e.n || 0) + 1, r: now + 1e4 * 2 ** Math.min(e.n || 0, 9) } : e)));
  // credentials: sendBeacon sends cookies, and the Worker's Set-Cookie refreshing sbt needs them.
  fetch(url, { method: blob && 'POST', body: blob, keepalive: true, credentials: 'include' }).then((res) => {
    if (res.status < 500) {
      done();
      if (!res.ok) warn(`HTTP ${res.status}, ${ids.length} event(s) dropped`);
    }
  }, () => {});
}
