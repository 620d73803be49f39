// The queued /collect against the real `npm run dev` (wrangler's local Queues, as wrangler.toml
// binds them): events sent twice arrive once each; a consumer batch that fails (a real D1 error:
// an SQLite trigger refusing one visitor's rows) is retried and then written once; one that
// always fails ends in the dead-letter queue and the site's rejected requests say why; GET
// pixels and the server API beside it. The dev server retries after 3 s (COLLECT_RETRY_SECONDS).
import { describe, expect, inject, it } from 'vitest';
import { basicAuth, d1Execute, runSite, type SiteKeys, siteJson } from './global-setup';

type Json = Record<string, any>;

const base = () => inject('baseUrl');
const d1 = (sql: string) => d1Execute(sql, inject('stateDir'));
const newSite = (name: string): SiteKeys => siteJson(runSite(['create', '--name', name, '--json'], inject('stateDir')));
const api = async (site: SiteKeys, path: string, init: RequestInit = {}) =>
  (await (await fetch(`${base()}${path}`, { ...init, headers: { authorization: basicAuth(site.publicKey, site.privateKey), 'content-type': 'application/json', ...init.headers } })).json()) as Json;

let n = 0;
const stamp = Date.now().toString(36);
const visitor = () => `E2eQueue${stamp}${String(++n).padStart(4, '0')}`.slice(0, 22).padEnd(22, 'x');
const page = (sbt: string) => ({ id: `e2eq${stamp}${String(++n).padStart(6, '0')}`, type: 'page', ts: Date.now(), sbt, data: { url: `https://shop.example/q${n}`, title: 'Queued' } });
const beacon = (site: SiteKeys, events: Json[]) =>
  fetch(`${base()}/collect`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ key: site.publicKey, events }) });

const stored = (site: SiteKeys, sbt: string) => Number(d1(`SELECT count(*) AS n FROM events WHERE site_id = ${site.siteId} AND sbt = '${sbt}'`)[0].n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(read: () => T | Promise<T>, check: (v: T) => boolean, ms = 45_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v) || Date.now() > end) return v;
    await sleep(500);
  }
}

/** Makes the local D1 refuse every event row of this visitor (a real error in the consumer's batch); answers the undo. */
function poison(sbt: string) {
  d1(`CREATE TRIGGER poison_${sbt} BEFORE INSERT ON events WHEN NEW.sbt = '${sbt}' BEGIN SELECT RAISE(ABORT, 'events of ${sbt} cannot be written'); END`);
  return () => d1(`DROP TRIGGER poison_${sbt}`);
}

describe('the queued /collect on npm run dev', { timeout: 120_000 }, () => {
  it('answers 204 at once and writes every event once, a beacon sent twice included, beside GET pixels and the server API', async () => {
    const site = newSite('queued collect e2e');
    await api(site, '/api/settings', { method: 'PUT', body: JSON.stringify({ get_mode: true }) });
    const sbt = visitor();
    const events = [page(sbt), page(sbt), page(sbt), page(sbt), page(sbt)];
    expect((await beacon(site, events)).status).toBe(204);
    expect((await beacon(site, events)).status).toBe(204); // its answer lost: sent again
    const pixel = new URLSearchParams({ key: site.publicKey, type: 'page', id: `e2eqget${stamp}`.padEnd(22, '0').slice(0, 22), ts: String(Date.now()), sbt, 'data[url]': 'https://shop.example/get' });
    const get = await fetch(`${base()}/collect?${pixel}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('image/gif');
    const order = await api(site, '/api/updateOrder', { method: 'POST', body: JSON.stringify({ data: { customer_email: `${sbt.toLowerCase()}@shop.test`, customer_cookie: sbt, order_idorder: `Q-${stamp}`, order_state: 20, order_amount: 10, order_crea_dt: '2026-12-03 10:00:00' } }) });
    expect(order.order.order_idorder).toBe(`Q-${stamp}`); // the server API answers with the stored order
    expect(await until(() => stored(site, sbt), (c) => c >= 6)).toBe(6);
    await sleep(3_000); // a repeat would have been written by now
    expect(stored(site, sbt)).toBe(6);
    const listed = (await api(site, '/api/events/recent')).events as Json[];
    expect(new Set(listed.map((e) => e.id)).size).toBe(6);
    const rejected = (await api(site, '/api/rejections/recent')).rejections as Json[];
    expect(rejected.find((r) => r.code === 'duplicate_dropped')?.fields).toHaveLength(5);
  });

  it('a consumer batch that fails is retried, and its events are written once when the cause is gone', async () => {
    const site = newSite('queued collect failure e2e');
    const sbt = visitor();
    const heal = poison(sbt);
    const events = [page(sbt), page(sbt), page(sbt)];
    expect((await beacon(site, events)).status).toBe(204);
    await sleep(2_500); // the consumer ran (within a second) and failed: nothing written
    expect(stored(site, sbt)).toBe(0);
    heal();
    expect(await until(() => stored(site, sbt), (c) => c >= 3)).toBe(3);
    await sleep(3_000);
    expect(stored(site, sbt)).toBe(3);
    expect(((await api(site, '/api/rejections/recent')).rejections as Json[]).map((r) => r.code)).not.toContain('dead_lettered');
  });

  it('a batch that always fails ends in the dead-letter queue, and the rejected requests say which events and why', async () => {
    const site = newSite('queued collect dead letter e2e');
    const sbt = visitor();
    const heal = poison(sbt);
    try {
      const events = [page(sbt), page(sbt)];
      expect((await beacon(site, events)).status).toBe(204);
      const rejected = await until(async () => (await api(site, '/api/rejections/recent')).rejections as Json[], (r) => r.some((x) => x.code === 'dead_lettered'), 90_000);
      const dead = rejected.find((r) => r.code === 'dead_lettered')!;
      expect(dead.message).toContain('after 6 attempts');
      expect(dead.message).toContain(`events of ${sbt} cannot be written`);
      expect(dead.fields).toEqual(events.map((e, i) => ({ field: `events[${i}].id`, reason: `event ${e.id} not written` })));
      expect(stored(site, sbt)).toBe(0);
    } finally {
      heal();
    }
  });
});
