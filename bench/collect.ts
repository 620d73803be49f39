// The collect section of `npm run bench` (issue 11's benchmark), on a server of its own (the
// production Worker with its EVENTS queue and consumer, wrangler's local Queues), straight at the
// workerd that runs the Worker. /collect is called through bench/worker.ts's /__bench/queued/
// and /__bench/sync/ prefixes: the production route without its rate limits (all the load
// comes from 127.0.0.1), queued or synchronous.
//   1. Throughput of a realistic beacon (5 events: 3 page views, a product view, a cart), distinct
//      ids in every request: the bare route (noop: read the body, 204), the single-insert route,
//      the synchronous /collect, the queued one with its producer held in memory (the request
//      path alone: in production the consumer runs apart, not on the route's cores), in
//      alternating rounds (ABBA), each figure a median of its rounds' ratios. The goal: queued /
//      bare ≥ 0.8. Then the queued one live (the consumer writing in the same workerd, on the
//      same 2 cores), each window beside a bare one of its own, its drain waited for after it.
//   2. After the windows: the live site's events once the consumer has drained, then the held
//      messages released to the real queue and drained by the consumer alone (its events/s).
//      Events in = the beacons answered 204 × 5 (at most the beacons sent: a request in flight
//      when a window stops may be taken without its answer being counted), against events
//      stored, distinct ids and the usage counter: 0 lost, 0 doubled.
//   3. A bounded load test (60 s): beacons, GET pixels and server-API orders at once, each with
//      its requests, 2xx/4xx/5xx and p50/p99, then the stored rows checked against the sent ones.
// `npm run bench -- --collect` runs this alone.
import { performance } from 'node:perf_hooks';
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';

export const COLLECT = { connections: 10, warmupS: 2, durationS: 6, rounds: 4, loadS: 60, drainTimeoutS: 300 };
export const COLLECT_GOAL = { queuedVsBare: 0.8 };

interface Site {
  siteId: number;
  publicKey: string;
  privateKey: string;
}

export interface CollectDeps {
  /** The workerd that runs the Worker (no proxy hop). */
  base: string;
  createSite: (name: string) => Site;
  orderForm: (tag: string, n: number) => string;
  basic: (publicKey: string, privateKey: string) => string;
  log: (msg: string) => void;
  /** CPU seconds so far of the workerd that runs the Worker and its D1. */
  workerCpuS: () => number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : NaN);
const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

let n = 0;
const RUN = Date.now().toString(36);
const id = () => `b${RUN}${(++n).toString(36).padStart(10, '0')}`;
const sbtOf = (k: number) => `BenchVisitor${String(k % 5000).padStart(10, '0')}`;

/** A realistic beacon: what an SDK flushes after a product page and an add to cart. */
function beacon(publicKey: string) {
  const sbt = sbtOf(n);
  const ts = Date.now();
  const events = [
    { id: id(), type: 'page', ts, sbt, data: { url: `https://shop.example/products/p${n % 500}`, referrer: 'https://shop.example/', title: 'Organic cotton T-shirt' } },
    { id: id(), type: 'product', ts, sbt, data: { product_id: `P-${n % 500}`, name: 'Organic cotton T-shirt', unit_price: 19.9, category: 'Men/Tops/T-shirts', availability: 'in_stock' } },
    { id: id(), type: 'cart', ts, sbt, data: { items: [{ product_id: `P-${n % 500}`, quantity: 1, unit_price: 19.9 }], cart_amount: 19.9, currency: 'EUR' } },
    { id: id(), type: 'page', ts, sbt, data: { url: 'https://shop.example/cart', title: 'Your cart' } },
    { id: id(), type: 'page', ts, sbt, data: { url: 'https://shop.example/checkout', title: 'Checkout' } },
  ];
  return JSON.stringify({ key: publicKey, events });
}

/** A GET-mode pixel: one page view in the query string. */
function pixel(publicKey: string) {
  const q = new URLSearchParams({ key: publicKey, type: 'page', id: id(), ts: String(Date.now()), sbt: sbtOf(n), 'data[url]': `https://shop.example/g${n % 100}`, 'data[title]': 'Pixel' });
  return `/__bench/queued/collect?${q}`;
}

interface Load {
  requests: number;
  rps: number;
  status: Record<string, number>;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  errors: number;
  p50: number;
  p99: number;
  /** CPU ms of the Worker's workerd per answered request (when measured). */
  cpuMs?: number;
}

/** One autocannon run; every answer counted by status, latencies of every one. */
async function load(base: string, spec: { path: string; method: 'GET' | 'POST'; headers: Record<string, string>; setup: (r: autocannon.Request) => autocannon.Request; connections: number; durationS: number }): Promise<Load> {
  const latencies: number[] = [];
  const status: Record<string, number> = {};
  const run = autocannon({ url: base + spec.path, method: spec.method, headers: spec.headers, connections: spec.connections, duration: spec.durationS, requests: [{ setupRequest: spec.setup }] }) as Promise<autocannon.Result> & EventEmitter;
  run.on('response', (_c: unknown, code: number, _b: number, ms: number) => {
    status[code] = (status[code] ?? 0) + 1;
    latencies.push(ms);
  });
  const r = (await run) as autocannon.Result;
  const sorted = latencies.sort((a, b) => a - b);
  const count = (lo: number) => Object.entries(status).reduce((s, [k, v]) => s + (Number(k) >= lo && Number(k) < lo + 100 ? v : 0), 0);
  return {
    requests: latencies.length,
    rps: round(count(200) / r.duration, 1),
    status,
    s2xx: count(200),
    s4xx: count(400),
    s5xx: count(500),
    errors: r.errors,
    p50: round(quantile(sorted, 0.5), 2),
    p99: round(quantile(sorted, 0.99), 2),
  };
}

async function count(base: string, siteId: number) {
  return (await (await fetch(`${base}/__bench/count?site=${siteId}`)).json()) as { events: number; distinct_events: number; usage: number; orders: number };
}

/** Waits for the consumer: until the site holds `expected` events (or nothing changes for 30 s). Answers the seconds from `from`. */
async function drain(base: string, siteId: number, expected: number, from: number, timeoutS: number) {
  let last = -1;
  let still = performance.now();
  for (;;) {
    const c = await count(base, siteId);
    const now = performance.now();
    if (c.events !== last) [last, still] = [c.events, now];
    // 90 s without a change: past a retry (the first after 30 s) that a failed batch would take.
    if (c.events >= expected || now - still > 90_000 || now - from > timeoutS * 1000) return { ...c, drainS: round((now - from) / 1000, 2) };
    await sleep(200);
  }
}

export async function measureCollect(deps: CollectDeps) {
  const { base, log } = deps;
  const t0 = performance.now();
  const queuedSite = deps.createSite('bench collect queued');
  const liveSite = deps.createSite('bench collect live');
  const syncSite = deps.createSite('bench collect sync');
  // Made now: the site CLI writes to the local D1 file, which the consumer holds while it drains.
  const mixed = deps.createSite('bench collect mixed');
  const text = { 'content-type': 'text/plain;charset=UTF-8' };
  const routes = {
    bare: { path: '/__bench/noop', site: queuedSite },
    insert: { path: '/__bench/insert', site: queuedSite },
    sync: { path: '/__bench/sync/collect', site: syncSite },
    queued: { path: '/__bench/held/collect', site: queuedSite },
    live: { path: '/__bench/queued/collect', site: liveSite },
  } as const;
  type Route = keyof typeof routes;
  const windows: Record<Route, Load[]> = { bare: [], insert: [], sync: [], queued: [], live: [] };
  // Per route, beacons answered 2xx and beacons sent (warm-ups included).
  const answered: Record<Route, number> = { bare: 0, insert: 0, sync: 0, queued: 0, live: 0 };
  const sent: Record<Route, number> = { ...answered };
  const run = async (route: Route, durationS: number) => {
    const cpu0 = deps.workerCpuS();
    const r: Load = await load(base, { path: routes[route].path, method: 'POST', headers: text, setup: (req) => (sent[route]++, { ...req, body: beacon(routes[route].site.publicKey) }), connections: COLLECT.connections, durationS });
    r.cpuMs = round(((deps.workerCpuS() - cpu0) * 1000) / Math.max(1, r.s2xx), 3);
    answered[route] += r.s2xx;
    return r;
  };
  log(`collect: ${COLLECT.rounds} rounds of ${COLLECT.durationS} s windows (bare, insert, sync, queued held; alternating order), ${COLLECT.connections} connections, then live rounds …`);
  for (const route of Object.keys(routes) as Route[]) await run(route, COLLECT.warmupS);
  // live is not in the rotation: the consumer draining its backlog would slow the window after it.
  const order: Route[] = ['bare', 'insert', 'sync', 'queued'];
  for (let round_ = 0; round_ < COLLECT.rounds; round_++) {
    for (const route of round_ % 2 ? [...order].reverse() : order) {
      const w = await run(route, COLLECT.durationS);
      windows[route].push(w);
      log(`  round ${round_ + 1} ${route}: ${w.rps} req/s, p50 ${w.p50} ms, p99 ${w.p99} ms, ${w.cpuMs} ms workerd CPU a request, status ${JSON.stringify(w.status)}, errors ${w.errors}`);
    }
  }
  // Live: each window beside a bare one of its own, the consumer's drain waited for after it.
  const liveBare: Load[] = [];
  let liveDrainS = 0;
  for (let round_ = 0; round_ < COLLECT.rounds / 2; round_++) {
    liveBare.push(await run('bare', COLLECT.durationS));
    const w = await run('live', COLLECT.durationS);
    windows.live.push(w);
    const stopped = performance.now();
    const d = await drain(base, liveSite.siteId, answered.live * 5, stopped, COLLECT.drainTimeoutS);
    liveDrainS = Math.max(liveDrainS, d.drainS);
    log(`  live round ${round_ + 1}: ${w.rps} req/s beside bare ${liveBare.at(-1)!.rps}, ${w.cpuMs} ms workerd CPU a request; drained ${d.drainS} s after`);
  }
  const check = (c: Awaited<ReturnType<typeof count>>, route: Route, drainS: number) => ({
    answered: answered[route] * 5,
    sent: sent[route] * 5,
    stored: c.events,
    distinct: c.distinct_events,
    usage: c.usage,
    lost: Math.max(0, answered[route] * 5 - c.distinct_events),
    doubled: c.events - c.distinct_events + Math.abs(c.usage - c.events) + Math.max(0, c.events - sent[route] * 5),
    drainS,
  });
  const live = check(await count(base, liveSite.siteId), 'live', liveDrainS);
  log(`collect: live: ${JSON.stringify(live)}`);
  // The held messages, to the real queue in parts (miniflare's broker holds at most 10,000 timers), drained by the consumer alone.
  const released = performance.now();
  let messages = 0;
  for (;;) {
    const r = (await (await fetch(`${base}/__bench/events/release?max=2000`, { method: 'POST' })).json()) as { released: number; left: number };
    messages += r.released;
    if (!r.left) break;
    await drain(base, queuedSite.siteId, messages * 5, performance.now(), COLLECT.drainTimeoutS);
  }
  const heldDrained = await drain(base, queuedSite.siteId, answered.queued * 5, released, COLLECT.drainTimeoutS);
  const held = { ...check(heldDrained, 'queued', heldDrained.drainS), messages, eventsPerS: round(heldDrained.events / heldDrained.drainS, 1) };
  log(`collect: held, then drained by the consumer alone: ${JSON.stringify(held)}`);
  const rps = (r: Route) => median(windows[r].map((w) => w.rps));
  const bareOf = (r: Route) => (r === 'live' ? liveBare : windows.bare);
  const ratios = (r: Route) => windows[r].map((w, i) => round(w.rps / bareOf(r)[i].rps, 3));
  // What the throughput would be if the Worker's CPU were all that limited it: bare's CPU a request over the route's.
  const cpuRatios = (r: Route) => windows[r].map((w, i) => round(bareOf(r)[i].cpuMs! / w.cpuMs!, 3));
  const throughput = Object.fromEntries(
    (Object.keys(routes) as Route[]).map((r) => [r, { rps: rps(r), p50: median(windows[r].map((w) => w.p50)), p99: median(windows[r].map((w) => w.p99)), vsBare: round(median(ratios(r)), 3), roundRatios: ratios(r), cpuMs: median(windows[r].map((w) => w.cpuMs!)), vsBareByCpu: round(median(cpuRatios(r)), 3), non2xx: windows[r].reduce((s, w) => s + w.requests - w.s2xx, 0), errors: windows[r].reduce((s, w) => s + w.errors, 0) }]),
  ) as Record<Route, { rps: number; p50: number; p99: number; vsBare: number; roundRatios: number[]; cpuMs: number; vsBareByCpu: number; non2xx: number; errors: number }>;
  const integrity = { held, live };

  // 3. The bounded load test: three kinds of client at once, for COLLECT.loadS.
  log(`collect: bounded load test, ${COLLECT.loadS} s: beacons (6 connections), GET pixels (2), server-API orders (2), at once …`);
  const auth = { authorization: deps.basic(mixed.publicKey, mixed.privateKey), 'content-type': 'application/x-www-form-urlencoded' };
  let orderN = 0;
  let beaconsSent = 0;
  let pixelsSent = 0;
  const before = await count(base, mixed.siteId);
  const t1 = performance.now();
  const [beacons, pixels, orders] = await Promise.all([
    load(base, { path: '/__bench/queued/collect', method: 'POST', headers: text, setup: (req) => (beaconsSent++, { ...req, body: beacon(mixed.publicKey) }), connections: 6, durationS: COLLECT.loadS }),
    load(base, { path: '/__bench/queued/collect', method: 'GET', headers: {}, setup: (req) => (pixelsSent++, { ...req, path: pixel(mixed.publicKey) }), connections: 2, durationS: COLLECT.loadS }),
    load(base, { path: '/api/updateOrder', method: 'POST', headers: auth, setup: (req) => ({ ...req, body: deps.orderForm(`MIX-${RUN}`, ++orderN) }), connections: 2, durationS: COLLECT.loadS }),
  ]);
  const stop = performance.now();
  const sentEvents = beacons.s2xx * 5 + pixels.s2xx;
  const after = await drain(base, mixed.siteId, before.events + sentEvents, stop, COLLECT.drainTimeoutS);
  const mixedChecks = {
    seconds: round((stop - t1) / 1000, 1),
    eventsTaken: sentEvents,
    eventsSent: beaconsSent * 5 + pixelsSent,
    eventsStored: after.events - before.events,
    eventsDistinct: after.distinct_events - before.distinct_events,
    usage: after.usage - before.usage,
    ordersAnswered: orders.s2xx,
    ordersSent: orderN,
    ordersStored: after.orders - before.orders,
    drainS: after.drainS,
  };
  const mixedOk =
    mixedChecks.eventsStored === mixedChecks.eventsDistinct &&
    mixedChecks.usage === mixedChecks.eventsStored &&
    mixedChecks.eventsStored >= mixedChecks.eventsTaken &&
    mixedChecks.eventsStored <= mixedChecks.eventsSent &&
    mixedChecks.ordersStored >= mixedChecks.ordersAnswered &&
    mixedChecks.ordersStored <= mixedChecks.ordersSent;
  log(`collect: mixed load: ${JSON.stringify(mixedChecks)}`);
  return {
    seconds: round((performance.now() - t0) / 1000, 1),
    goal: COLLECT_GOAL,
    parameters: COLLECT,
    throughput,
    integrity,
    mixed: { beacons, pixels, orders, checks: { ...mixedChecks, ok: mixedOk } },
  };
}

export type CollectFigures = Awaited<ReturnType<typeof measureCollect>>;

export function printCollect(f: CollectFigures, table: (head: string[], rows: (string | number)[][]) => void) {
  console.log(`\n/collect through Queues (bench/collect.ts; ${f.parameters.rounds} rounds of ${f.parameters.durationS} s, ${f.parameters.connections} connections, a 5-event beacon, straight at workerd; medians):`);
  table(
      ['route', 'req/s', 'p50 ms', 'p99 ms', 'ratio to bare (rounds)', 'workerd CPU ms/req', 'ratio by CPU', 'non-2xx'],
      (Object.entries(f.throughput) as [string, CollectFigures['throughput']['bare']][]).map(([r, t]) => [r, t.rps, t.p50, t.p99, `${t.vsBare} (${t.roundRatios.join(', ')})`, t.cpuMs, t.vsBareByCpu, t.non2xx + t.errors]),
  );
  const q = f.throughput.queued.vsBare;
  console.log(`queued /collect (request path, producer held) / bare route: ${q} (goal ≥ ${f.goal.queuedVsBare}: ${q >= f.goal.queuedVsBare ? 'met' : 'NOT met'}; by the Worker's CPU a request: ${f.throughput.queued.vsBareByCpu}); queued live (consumer on the same cores) / bare: ${f.throughput.live.vsBare}; synchronous /collect / bare: ${f.throughput.sync.vsBare}; single insert / bare: ${f.throughput.insert.vsBare}`);
  for (const [what, i] of [['queued, held then released', f.integrity.held], ['queued live', f.integrity.live]] as const)
    console.log(`${what}: events answered 204 ${i.answered} (sent ${i.sent}), stored ${i.stored} (distinct ${i.distinct}, usage counter ${i.usage}): lost ${i.lost}, doubled ${i.doubled}; drained ${i.drainS} s after the load stopped${'eventsPerS' in i ? ` (released), ${i.messages} messages, the consumer alone at ${i.eventsPerS} events/s` : ''}`);
  const m = f.mixed;
  console.log(`\nbounded load test (${m.checks.seconds} s, all at once):`);
  table(
      ['client', 'requests', '2xx', '4xx', '5xx', 'errors', 'p50 ms', 'p99 ms'],
      [
        ['beacons (POST /collect, 6 conn.)', m.beacons.requests, m.beacons.s2xx, m.beacons.s4xx, m.beacons.s5xx, m.beacons.errors, m.beacons.p50, m.beacons.p99],
        ['GET pixels (2 conn.)', m.pixels.requests, m.pixels.s2xx, m.pixels.s4xx, m.pixels.s5xx, m.pixels.errors, m.pixels.p50, m.pixels.p99],
        ['server-API orders (2 conn.)', m.orders.requests, m.orders.s2xx, m.orders.s4xx, m.orders.s5xx, m.orders.errors, m.orders.p50, m.orders.p99],
      ],
  );
  console.log(`stored: ${m.checks.eventsStored} events (${m.checks.eventsDistinct} distinct, usage ${m.checks.usage}) of ${m.checks.eventsTaken} answered 2xx and ${m.checks.eventsSent} sent; ${m.checks.ordersStored} orders of ${m.checks.ordersAnswered} answered 200 and ${m.checks.ordersSent} sent (a request in flight at the stop may be taken unanswered); drained ${m.checks.drainS} s after the load stopped: ${m.checks.ok ? 'every answered row stored once' : 'MISMATCH'}`);
}
