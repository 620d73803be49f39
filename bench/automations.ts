// The automations section of `npm run bench` (issue 9's benchmark), on a server of its own (the
// production Worker with its queue consumer, wrangler's local Queues), and a webhook receiver in
// this process that verifies every delivery with the standardwebhooks package, as a shop's would:
//   0. /api/updateOrder throughput with the queue held in memory (the request path alone, the
//      goal's figure: the same alternating windows, nothing brokered or delivered meanwhile),
//      then the backlog drained by the consumer alone.
//   1. /api/updateOrder throughput for a site whose endpoint subscribes to every type ("*"), as a
//      ratio of a site with no endpoint: alternating windows (none, *, none, *), straight at the
//      workerd that runs the Worker; the deliveries those orders make are posted meanwhile, by the
//      consumer in the same workerd, so the ratio includes what delivering costs the server.
//   2. Trigger-to-delivery latency: orders sent one at a time, each timed from its request to its
//      order.created at the receiver (median, p99).
//   3. Deliveries per second one consumer sustains: a burst of orders, then their order.created
//      deliveries counted at the receiver from the first to the last.
// `npm run bench -- --automations` runs this alone.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Webhook } from 'standardwebhooks';

export const AUTOMATIONS = { connections: 10, warmupS: 2, durationS: 6, rounds: 6, latencyOrders: 100, latencyGapMs: 150, burstOrders: 2000 };
export const AUTOMATIONS_GOAL = { withEndpointVsNone: 0.9 };

interface Site {
  publicKey: string;
  privateKey: string;
}

export interface AutomationsDeps {
  /** The workerd that runs the Worker (no proxy hop). */
  base: string;
  createSite: (name: string) => Site;
  /** One measured load window (run.ts's window(), direct): req/s, p50/p99, CPU by process. */
  window: (route: string, spec: { path: string; method: 'POST'; headers: Record<string, string>; setup: (r: autocannon.Request) => autocannon.Request; connections: number; warmupS: number; durationS: number }) => Promise<{ rps: number; p50: number; p99: number; requests: number; cpuMsPerRequest: Record<string, number> }>;
  orderForm: (tag: string, n: number) => string;
  basic: (publicKey: string, privateKey: string) => string;
  log: (msg: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : NaN);
const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);

/** The receiver: verifies, answers 204, records when each delivery came and what it was. */
async function receiver() {
  let secret = '';
  const got: { at: number; type: string; order?: string }[] = [];
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const p = new Webhook(secret).verify(Buffer.concat(chunks).toString('utf8'), headers) as { type: string; data: { order?: { order_idorder: string } } };
        got.push({ at, type: p.type, order: p.data.order?.order_idorder });
        res.writeHead(204).end();
      } catch {
        refused++;
        res.writeHead(401).end();
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    got,
    refused: () => refused,
    useSecret: (s: string) => void (secret = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Waits until every order of `ids` had its order.created delivered (at most `maxMs`). */
async function deliveredAll(got: { type: string; order?: string }[], ids: Set<string>, maxMs = 300_000) {
  const end = Date.now() + maxMs;
  const seen = () => new Set(got.filter((g) => g.type === 'order.created' && g.order && ids.has(g.order)).map((g) => g.order)).size;
  while (Date.now() < end) {
    if (seen() >= ids.size) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
type Window = Awaited<ReturnType<AutomationsDeps['window']>>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpu = (w: { cpuMsPerRequest: Record<string, number> }) => w.cpuMsPerRequest['workerd Worker+D1'] ?? NaN;

/**
 * Two sites, one with an endpoint for every type ("*") at the receiver, and their updateOrder
 * windows alternated (none, *, none, * …). Each site's orders have ids of their own, so that the
 * receiver can tell when every one of them was delivered.
 */
async function alternate(d: AutomationsDeps, rx: Awaited<ReturnType<typeof receiver>>, label: string) {
  const none = d.createSite(`bench automations${label}: no endpoint`);
  const star = d.createSite(`bench automations${label}: an endpoint for every type`);
  const auth = (s: Site) => ({ authorization: d.basic(s.publicKey, s.privateKey) });
  const made = await fetch(`${d.base}/api/webhooks`, { method: 'POST', headers: { ...auth(star), 'content-type': 'application/json' }, body: JSON.stringify({ url: rx.url, events: ['*'] }) });
  if (made.status !== 201) throw new Error(`POST /api/webhooks: ${made.status} ${await made.text()}`);
  rx.useSecret(((await made.json()) as { secret: string }).secret);
  const tag = `auto${Date.now().toString(36)}`;
  const counters = new Map<Site, number>();
  const starIds = new Set<string>();
  const spec = (s: Site, prefix: string) => ({
    path: '/api/updateOrder',
    method: 'POST' as const,
    headers: { ...form, ...auth(s) },
    setup: (r: autocannon.Request) => {
      const n = (counters.get(s) ?? 0) + 1;
      counters.set(s, n);
      if (s === star) starIds.add(`${tag}${prefix}-${n}`); // orderForm's order id: `${tag}-${n}`
      return { ...r, body: d.orderForm(`${tag}${prefix}`, n) };
    },
    connections: AUTOMATIONS.connections,
    warmupS: AUTOMATIONS.warmupS,
    durationS: AUTOMATIONS.durationS,
  });
  const windows: { none: Window[]; star: Window[] } = { none: [], star: [] };
  // ABBA order (none, *, *, none, none, * …): a drift of the machine over the run (a growing
  // database, another process) weighs on both sides alike; each round's two windows are a pair.
  for (let round_ = 0; round_ < AUTOMATIONS.rounds; round_++) {
    const runNone = async () => windows.none.push(await d.window(`POST /api/updateOrder, no endpoint${label}`, spec(none, 'n')));
    const runStar = async () => windows.star.push(await d.window(`POST /api/updateOrder, an endpoint for "*"${label}`, spec(star, 's')));
    if (round_ % 2 === 0) (await runNone(), await runStar());
    else (await runStar(), await runNone());
  }
  const pairs = windows.star.map((w, i) => w.rps / windows.none[i].rps);
  return {
    auth: auth(star),
    tag,
    starIds,
    windows,
    // The median of the rounds' ratios (a window disturbed by another process on these 2 cores
    // moves its own round's ratio only).
    withEndpointVsNone: round(median(pairs), 3),
    pairRatios: pairs.map((x) => round(x, 3)),
    // The same as a ratio of the Worker+D1 process's CPU per request (none / "*"): what the rate
    // would be were that process the only bottleneck; less swayed by the rest of the machine.
    cpuBoundWithEndpointVsNone: round(median(windows.none.map(cpu)) / median(windows.star.map(cpu)), 3),
  };
}


/**
 * The request path alone: the queue held (bench/worker.ts gives the app a producer that keeps
 * what it is sent, serialized, in memory), so every trigger is claimed and sent as in production
 * and nothing on this machine brokers or delivers it while the windows run (the receiver must get
 * nothing). This is what the goal measures: in production the queue broker and the consumer are
 * Cloudflare's, not on the cores that answer /api/updateOrder. Then the held messages go to the
 * local queue, and the consumer alone is timed as it drains them.
 */
export async function measureRequestPath(d: AutomationsDeps) {
  const rx = await receiver();
  const queue = async (what: 'hold' | 'release', max?: number) => {
    const res = await fetch(`${d.base}/__bench/queue/${what}${max ? `?max=${max}` : ''}`, { method: 'POST' });
    if (!res.ok) throw new Error(`/__bench/queue/${what}: ${res.status}`);
    return res;
  };
  try {
    await queue('hold');
    const a = await alternate(d, rx, ' (queue held)');
    if (rx.got.length) throw new Error(`the request-path windows ran with the queue held, yet the receiver got ${rx.got.length} deliveries`);
    // Released as the consumer catches up: every message held is a trigger of the "*" site, which
    // ends as one delivery at the receiver; at most 3,000 wait in the local broker at a time.
    const released = performance.now();
    let messages = 0;
    for (;;) {
      while (messages - rx.got.length > 2000) await sleep(50);
      const r = (await (await queue('release', 1000)).json()) as { released: number; left: number };
      messages += r.released;
      if (!r.left) break;
    }
    const complete = await deliveredAll(rx.got, a.starIds);
    const mine = rx.got.filter((g) => g.type === 'order.created' && !!g.order && a.starIds.has(g.order));
    const span = mine.length > 1 ? (mine.at(-1)!.at - mine[0].at) / 1000 : NaN;
    const drain = { orders: a.starIds.size, allDelivered: complete, deliveries: mine.length, messages, seconds: round((performance.now() - released) / 1000, 1), deliveriesPerSecond: round(mine.length / span, 1) };
    d.log(`automations, request path alone: with an endpoint / none = ${a.withEndpointVsNone} (CPU ${a.cpuBoundWithEndpointVsNone}); then the consumer alone delivered ${mine.length} of ${a.starIds.size} at ${drain.deliveriesPerSecond}/s`);
    return { windows: a.windows, withEndpointVsNone: a.withEndpointVsNone, pairRatios: a.pairRatios, cpuBoundWithEndpointVsNone: a.cpuBoundWithEndpointVsNone, drain };
  } finally {
    await queue('release').catch(() => {});
    await rx.close();
  }
}

export async function measureAutomations(d: AutomationsDeps, requestPath: Awaited<ReturnType<typeof measureRequestPath>>) {
  const t0 = performance.now();
  const rx = await receiver();
  try {
    // 1. Throughput, alternating, the consumer delivering meanwhile in the same workerd.
    const { auth: starAuth, tag, starIds, windows, withEndpointVsNone, pairRatios, cpuBoundWithEndpointVsNone } = await alternate(d, rx, '');
    const isStar = (g: { type: string; order?: string }) => g.type === 'order.created' && !!g.order && starIds.has(g.order);
    const during = rx.got.filter(isStar).length;
    const drainStart = performance.now();
    const complete = await deliveredAll(rx.got, starIds);
    const backlog = { orders: starIds.size, deliveredDuringLoad: during, allDelivered: complete, drainSeconds: round((performance.now() - drainStart) / 1000, 1) };
    d.log(`automations: of ${starIds.size} orders, ${during} order.created delivered by the end of the load, the rest ${complete ? `within ${backlog.drainSeconds} s` : 'NOT within 300 s'}`);

    // 2. Latency, one order at a time, on a drained queue.
    const sentAt = new Map<string, number>();
    for (let i = 0; i < AUTOMATIONS.latencyOrders; i++) {
      const id = `${tag}lat-${i}`;
      const body = d.orderForm(`${tag}lat`, i);
      sentAt.set(id, performance.now());
      const res = await fetch(`${d.base}/api/updateOrder`, { method: 'POST', headers: { ...form, ...starAuth }, body });
      if (res.status !== 200) throw new Error(`latency order ${id}: ${res.status} ${await res.text()}`);
      await sleep(AUTOMATIONS.latencyGapMs);
    }
    await deliveredAll(rx.got, new Set(sentAt.keys()), 60_000);
    const latencies = [...sentAt].map(([id, t]) => (rx.got.find((g) => g.type === 'order.created' && g.order === id)?.at ?? NaN) - t);
    const lost = latencies.filter((x) => !Number.isFinite(x)).length;
    const sortedLat = latencies.filter(Number.isFinite).sort((a, b) => a - b);
    const latency = { orders: AUTOMATIONS.latencyOrders, lost, p50Ms: round(quantile(sortedLat, 0.5), 1), p99Ms: round(quantile(sortedLat, 0.99), 1), maxMs: round(sortedLat.at(-1) ?? NaN, 1) };
    d.log(`automations: trigger-to-delivery median ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms over ${latency.orders} orders (${lost} never delivered)`);

    // 3. A burst, then its order.created deliveries counted from the first to the last.
    const burstIds = new Set<string>();
    let b = 0;
    const burstStart = performance.now();
    const burst = await autocannon({
      url: `${d.base}/api/updateOrder`,
      method: 'POST',
      headers: { ...form, ...starAuth },
      connections: AUTOMATIONS.connections,
      amount: AUTOMATIONS.burstOrders,
      requests: [
        {
          setupRequest: (r: autocannon.Request) => {
            burstIds.add(`${tag}b-${++b}`);
            return { ...r, body: d.orderForm(`${tag}b`, b) };
          },
        },
      ],
    });
    const burstEnd = performance.now();
    await deliveredAll(rx.got, burstIds);
    const mine = rx.got.filter((g) => g.type === 'order.created' && !!g.order && burstIds.has(g.order));
    const span = (mine.at(-1)!.at - mine[0].at) / 1000;
    const throughput = {
      orders: burst['2xx'],
      ordersPerSecond: round(burst['2xx'] / ((burstEnd - burstStart) / 1000), 1),
      deliveries: mine.length,
      deliveriesPerSecond: round(mine.length / span, 1),
      lastDeliveryAfterLastOrderS: round((mine.at(-1)!.at - burstEnd) / 1000, 1),
    };
    d.log(`automations: ${throughput.deliveries} order.created deliveries of ${throughput.orders} orders in ${round(span, 1)} s: ${throughput.deliveriesPerSecond}/s`);

    return {
      seconds: round((performance.now() - t0) / 1000, 1),
      params: AUTOMATIONS,
      goal: AUTOMATIONS_GOAL,
      // The goal's figure: the request path alone (no consumer on this machine).
      requestPath,
      // The whole pipeline: the same windows with the consumer delivering in the same workerd,
      // on the same 2 cores (medians of the rounds: one window disturbed by another process on
      // these 2 cores moves them least).
      windows,
      withEndpointVsNone,
      pairRatios,
      cpuBoundWithEndpointVsNone,
      backlog,
      latency,
      throughput,
      refusedByReceiver: rx.refused(),
    };
  } finally {
    await rx.close();
  }
}

export function printAutomations(a: Awaited<ReturnType<typeof measureAutomations>>, table: (head: string[], rows: (string | number)[][]) => void) {
  console.log(`\nautomations (${a.params.rounds} rounds of ${a.params.durationS} s windows, ${a.params.connections} connections, straight at the Worker's workerd; the receiver verifies every delivery):`);
  const rows = (['none', 'star'] as const).flatMap((k) =>
    a.windows[k].map((w, i) => [k === 'none' ? `no endpoint, round ${i + 1}` : `an endpoint for "*", round ${i + 1}`, w.rps.toFixed(1), w.p50.toFixed(2), w.p99.toFixed(2), (w.cpuMsPerRequest['workerd Worker+D1'] ?? NaN).toFixed(3)]),
  );
  const r = a.requestPath;
  const routeRows = (['none', 'star'] as const).flatMap((k) =>
    r.windows[k].map((w, i) => [k === 'none' ? `no endpoint, round ${i + 1}` : `an endpoint for "*", round ${i + 1}`, w.rps.toFixed(1), w.p50.toFixed(2), w.p99.toFixed(2), (w.cpuMsPerRequest['workerd Worker+D1'] ?? NaN).toFixed(3)]),
  );
  console.log('the request path alone (the queue held in memory: triggers are claimed and sent, nothing on this machine brokers or delivers them meanwhile):');
  table(['POST /api/updateOrder', 'req/s', 'p50 ms', 'p99 ms', 'Worker+D1 CPU ms/req'], routeRows);
  console.log(`with an endpoint for every type / with none (median of the rounds' ratios ${r.pairRatios.join(', ')}) = ${r.withEndpointVsNone} (goal ≥ ${a.goal.withEndpointVsNone}: ${r.withEndpointVsNone >= a.goal.withEndpointVsNone ? 'met' : 'NOT met'}); by CPU per request: ${r.cpuBoundWithEndpointVsNone}`);
  console.log(`  then the ${r.drain.messages} held messages released to the local queue, the consumer alone delivered ${r.drain.deliveries} of the ${r.drain.orders} order.created at ${r.drain.deliveriesPerSecond}/s (first to last), all ${r.drain.allDelivered ? `within ${r.drain.seconds} s of the release` : 'NOT within 300 s'}`);
  console.log('the whole pipeline (the production config: the consumer fans out and delivers in the same workerd, on the same 2 cores):');
  table(['POST /api/updateOrder', 'req/s', 'p50 ms', 'p99 ms', 'Worker+D1 CPU ms/req'], rows);
  console.log(`with an endpoint for every type / with none (median of the rounds' ratios ${a.pairRatios.join(', ')}) = ${a.withEndpointVsNone}; by the Worker+D1 process's CPU per request (none / "*"): ${a.cpuBoundWithEndpointVsNone}`);
  console.log('  (here the deliveries of the "*" orders are made meanwhile by the same process; in production the consumer runs in invocations of its own)');
  console.log(
    `deliveries: of the ${a.backlog.orders} orders of the "*" windows, ${a.backlog.deliveredDuringLoad} had their order.created delivered by the end of the load, ` +
      `the rest ${a.backlog.allDelivered ? `within ${a.backlog.drainSeconds} s after it` : 'NOT within 300 s'} (the consumer shares the Worker's isolate and these 2 cores with the load)`,
  );
  console.log(`trigger-to-delivery (order sent → order.created received), ${a.latency.orders} orders one at a time: median ${a.latency.p50Ms} ms, p99 ${a.latency.p99Ms} ms, max ${a.latency.maxMs} ms; never delivered: ${a.latency.lost}`);
  const t = a.throughput;
  console.log(`one consumer: the ${t.deliveries} order.created deliveries of a burst of ${t.orders} orders (${t.ordersPerSecond} orders/s) at ${t.deliveriesPerSecond} deliveries/s; the last came ${t.lastDeliveryAfterLastOrderS} s after the last order`);
  if (a.refusedByReceiver) console.log(`the receiver refused ${a.refusedByReceiver} deliveries (signature did not verify)`);
}
