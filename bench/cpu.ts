// The CPU section of `npm run bench` (`npm run bench -- --cpu` runs it alone): the worst-case CPU
// time of one request to /collect (POST batches, GET pixel queries) and to /api/updateOrder, over
// the fuzz corpus (packages/worker/test/fuzz-corpus.ts: the requests never-5xx.test.ts sends, the
// worst cases of input size among them), measured in workerd, the process that runs the Worker
// and its local D1 under wrangler dev. Goal: under 2 ms each.
//
// How: each request is sent alone (no concurrency) straight to workerd's own port (not through
// wrangler's proxy), and the CPU time of every thread of workerd is read from
// /proc/<pid>/task/*/schedstat (its first field: nanoseconds on a CPU) before it and after it,
// once workerd has stayed idle for QUIET_MS after the answer (so the work after the answer, the
// rejections log written in waitUntil, counts too). One pass over the corpus finds the costly
// requests; the TOP costliest of each route are then sent REPEATS times more, and the median of
// those repeats is that request's CPU. The worst case of a route is the largest of them.
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type CorpusRequest, FUZZ_ROUNDS, fuzzCorpus } from '../packages/worker/test/fuzz-corpus';

export const CPU_GOAL_MS = 2;
export const CPU_ROUTES = ['POST /collect', 'GET /collect', 'POST /api/updateOrder'] as const;
type Route = (typeof CPU_ROUTES)[number];
const TOP = 20;
const REPEATS = 20;
const QUIET_MS = 10; // workerd idle this long after the answer: the request's work (waitUntil, GC) is over
const MAX_SETTLE_MS = 500;
const IDLE_WINDOWS = 50;
const FLOOR_REQUESTS = 50;

/** The workerd that runs the Worker and D1: its pid and its own address (http://127.0.0.1:port). */
export interface Workerd {
  pid: number;
  base: string;
}

export interface CpuSite {
  publicKey: string;
  privateKey: string;
}

interface Measured {
  ms: number; // CPU of workerd, all threads
  wallMs: number; // from the first reading to the last (answer and settling)
  status: number;
  text: string;
}

export interface CpuRequestFigure {
  what: string;
  bytes: number; // the body, or the path and query of a GET
  status: number;
  firstPassMs: number;
  /** The median of the repeats (the request's CPU), and their spread. */
  ms: number;
  repeats: { min: number; max: number };
}

export interface CpuRouteFigures {
  requests: number;
  /** The median of the first pass over every request of the route (one measurement each). */
  medianMs: number;
  /** Requests of the route over the goal in the first pass. */
  overGoal: number;
  worstMs: number;
  worstVsGoal: number;
  worst: CpuRequestFigure;
  /** The costliest refused (4xx) request among the re-measured ones: what bad input costs. */
  worstRefused: CpuRequestFigure | null;
  top: CpuRequestFigure[];
}

export interface CpuFigures {
  goalMs: number;
  workerd: { pid: number; base: string };
  corpus: { requests: number; fuzzRounds: number; worstCases: number; file: string };
  params: { top: number; repeats: number; quietMs: number };
  /** workerd's CPU over the same wall time with no request: reported, not subtracted. */
  idle: { windows: number; wallMs: number; medianMs: number; maxMs: number; subtracted: false };
  /** POST /__bench/noop (reads the body, answers 204, no D1) measured the same way: the cost of any request here. */
  floorNoopMs: number;
  routes: Record<Route, CpuRouteFigures>;
  /** Readings whose window lost a thread of workerd (its CPU is then missing), and settles cut at MAX_SETTLE_MS. */
  lostThreads: number;
  unsettled: number;
  seconds: number;
}

// ---------------------------------------------------------------------------------------------
// Reading workerd's CPU

/** Nanoseconds on a CPU, by thread id, of every thread of pid. Throws once the process is gone. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      /* the thread exited meanwhile */
    }
  }
  return out;
}

const sumOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Meter {
  lostThreads = 0;
  unsettled = 0;
  constructor(readonly pid: number) {}

  /** Waits until workerd has used no CPU for QUIET_MS; returns its threads' CPU then. */
  async settle(): Promise<Map<string, number>> {
    const start = performance.now();
    let last = threadCpu(this.pid);
    let quietSince = performance.now();
    while (performance.now() - quietSince < QUIET_MS) {
      await sleep(1);
      const now = threadCpu(this.pid);
      if (sumOf(now) !== sumOf(last)) quietSince = performance.now();
      last = now;
      if (performance.now() - start > MAX_SETTLE_MS) {
        this.unsettled++;
        break;
      }
    }
    return last;
  }

  /** CPU ms of workerd between two readings; a thread gone in between is counted in lostThreads. */
  between(before: Map<string, number>, after: Map<string, number>): number {
    let ns = 0;
    for (const [tid, t] of after) ns += t - (before.get(tid) ?? 0);
    if ([...before.keys()].some((tid) => !after.has(tid))) this.lostThreads++;
    return ns / 1e6;
  }
}

// ---------------------------------------------------------------------------------------------
// Sending: node:http on one kept-alive connection, headers and body in one write.

// A connection idle for a second is closed on this side: workerd may have closed it meanwhile.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1, timeout: 1000 });

function send(base: string, req: Pick<CorpusRequest, 'method' | 'path' | 'headers' | 'body'>, retried = false): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, agent, headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    // A kept-alive connection the server closed just as the request went: it never reached the
    // Worker, so it is sent once more on a new connection (Node's documented retry).
    r.on('error', (e: NodeJS.ErrnoException) => (r.reusedSocket && e.code === 'ECONNRESET' && !retried ? send(base, req, true).then(resolve, reject) : reject(e)));
    r.end(body);
  });
}

async function measure(meter: Meter, w: Workerd, req: CorpusRequest): Promise<Measured> {
  const t0 = performance.now();
  const before = threadCpu(meter.pid);
  const { status, text } = await send(w.base, req);
  const after = await meter.settle();
  return { ms: meter.between(before, after), wallMs: performance.now() - t0, status, text };
}

// ---------------------------------------------------------------------------------------------
// The section

const routeOf = (req: CorpusRequest) => `${req.method} ${req.path.split('?')[0]}`;
const isMeasured = (route: string): route is Route => (CPU_ROUTES as readonly string[]).includes(route);
const sizeOf = (req: CorpusRequest) => Buffer.byteLength(req.method === 'GET' ? req.path : (req.body ?? ''));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Runs the section against a server already up, for a site of its own (its settings are
 * changed by the corpus). `log` prints progress.
 */
export async function measureCpu(w: Workerd, site: CpuSite, log: (msg: string) => void): Promise<CpuFigures> {
  const started = performance.now();
  const meter = new Meter(w.pid);
  const keys = { publicKey: site.publicKey, auth: `Basic ${Buffer.from(`${site.publicKey}:${site.privateKey}`).toString('base64')}` };
  const corpus = fuzzCorpus(keys);
  const settingsPut = (settings: unknown): CorpusRequest => ({
    method: 'PUT',
    path: '/api/settings',
    headers: { authorization: keys.auth, 'content-type': 'application/json' },
    body: JSON.stringify(settings),
    what: 'settings restored',
  });

  // The settings in force for each request (the corpus changes them), to restore before its repeats.
  const first = await send(w.base, { method: 'GET', path: '/api/settings', headers: { authorization: keys.auth } });
  if (first.status !== 200) throw new Error(`GET /api/settings: ${first.status} ${first.text.slice(0, 300)}`);
  let settings: unknown = JSON.parse(first.text).settings;
  await meter.settle();

  log(`CPU: first pass over the fuzz corpus, ${corpus.length.toLocaleString('en')} requests one at a time, straight to workerd (pid ${w.pid}, ${w.base}) …`);
  const pass: { req: CorpusRequest; index: number; route: string; settings: unknown; ms: number; wallMs: number; status: number }[] = [];
  for (const [index, req] of corpus.entries()) {
    const route = routeOf(req);
    const m = await measure(meter, w, req);
    if (m.status >= 500) throw new Error(`${route} answered ${m.status} to "${req.what}": ${m.text.slice(0, 300)}`);
    pass.push({ req, index, route, settings, ms: m.ms, wallMs: m.wallMs, status: m.status });
    if (route === 'PUT /api/settings' && m.status === 200) settings = JSON.parse(m.text).settings;
  }
  const measured = pass.filter((p) => isMeasured(p.route));
  log(`  ${measured.length.toLocaleString('en')} requests to the measured routes; the costliest ${measured.reduce((a, p) => Math.max(a, p.ms), 0).toFixed(2)} ms`);

  // Idle: workerd over the same wall time with no request.
  const idleWall = median(measured.map((p) => p.wallMs));
  const idle: number[] = [];
  for (let i = 0; i < IDLE_WINDOWS; i++) {
    const before = threadCpu(w.pid);
    await sleep(idleWall);
    idle.push(meter.between(before, threadCpu(w.pid)));
  }
  // The floor: a route that reads the body and answers, no D1.
  const noop: CorpusRequest = { method: 'POST', path: '/__bench/noop', headers: { 'content-type': 'text/plain' }, body: 'x', what: 'noop' };
  const floor: number[] = [];
  for (let i = 0; i < FLOOR_REQUESTS; i++) floor.push((await measure(meter, w, noop)).ms);

  // Repeats of the costliest, each with the settings it met in the first pass, and ids renewed:
  // the corpus with another id tag has the same requests, byte for byte as long, as new events
  // and orders, so that no repeat is dropped as a retry.
  const tops = Object.fromEntries(
    CPU_ROUTES.map((route) => [route, measured.filter((p) => p.route === route).sort((a, b) => b.ms - a.ms).slice(0, TOP)]),
  ) as Record<Route, typeof pass>;
  const repeats = new Map(Object.values(tops).flatMap((top) => top.map((p) => [p.index, [] as CorpusRequest[]])));
  for (let k = 1; k <= REPEATS; k++) {
    const again = fuzzCorpus(keys, `r${String(k).padStart(3, '0')}`);
    for (const [index, list] of repeats) list.push(again[index]);
  }
  const routes = {} as Record<Route, CpuRouteFigures>;
  for (const route of CPU_ROUTES) {
    const all = measured.filter((p) => p.route === route);
    log(`  ${route}: the ${tops[route].length} costliest, ${REPEATS} times each …`);
    const figures: CpuRequestFigure[] = [];
    for (const p of tops[route]) {
      const restored = await send(w.base, settingsPut(p.settings));
      if (restored.status !== 200) throw new Error(`restoring the settings: ${restored.status} ${restored.text.slice(0, 300)}`);
      await meter.settle();
      const times: number[] = [];
      for (const again of repeats.get(p.index)!) {
        const m = await measure(meter, w, again);
        if (m.status >= 500) throw new Error(`${route} answered ${m.status} to "${p.req.what}": ${m.text.slice(0, 300)}`);
        times.push(m.ms);
      }
      figures.push({ what: p.req.what, bytes: sizeOf(p.req), status: p.status, firstPassMs: r3(p.ms), ms: r3(median(times)), repeats: { min: r3(Math.min(...times)), max: r3(Math.max(...times)) } });
    }
    figures.sort((a, b) => b.ms - a.ms);
    routes[route] = {
      requests: all.length,
      medianMs: r3(median(all.map((p) => p.ms))),
      overGoal: all.filter((p) => p.ms >= CPU_GOAL_MS).length,
      worstMs: figures[0].ms, worstVsGoal: r3(figures[0].ms / CPU_GOAL_MS), worst: figures[0],
      worstRefused: figures.find((f) => f.status >= 400) ?? null,
      top: figures,
    };
  }
  return {
    goalMs: CPU_GOAL_MS,
    workerd: w,
    corpus: { requests: corpus.length, fuzzRounds: FUZZ_ROUNDS, worstCases: corpus.length - FUZZ_ROUNDS * 6, file: 'packages/worker/test/fuzz-corpus.ts' },
    params: { top: TOP, repeats: REPEATS, quietMs: QUIET_MS },
    idle: { windows: IDLE_WINDOWS, wallMs: r3(idleWall), medianMs: r3(median(idle)), maxMs: r3(Math.max(...idle)), subtracted: false },
    floorNoopMs: r3(median(floor)),
    routes,
    lostThreads: meter.lostThreads,
    unsettled: meter.unsettled,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

// ---------------------------------------------------------------------------------------------
// Printing

const ms = (x: number) => x.toFixed(2);
const bytesText = (req: { bytes: number }, route: string) => `${req.bytes.toLocaleString('en')} B ${route.startsWith('GET') ? 'URL' : 'body'}`;

export function printCpu(c: CpuFigures, table: (head: string[], rows: (string | number)[][]) => void) {
  console.log(`\nCPU per request in workerd (the Worker and its local D1), over the fuzz corpus; goal: under ${c.goalMs} ms each`);
  console.log(
    `  corpus: ${c.corpus.file}, the requests never-5xx.test.ts sends: ${c.corpus.requests.toLocaleString('en')} ` +
      `(${c.corpus.fuzzRounds} mutated rounds over 6 routes, then ${c.corpus.worstCases} worst cases of input size), for a site of its own`,
  );
  console.log(
    `  how: one request at a time, straight to workerd's own port (${c.workerd.base}, pid ${c.workerd.pid}; wrangler's proxy not counted); ` +
      `workerd's CPU summed over its threads from /proc/<pid>/task/*/schedstat, read before the request and once workerd has been idle ${c.params.quietMs} ms after the answer ` +
      '(what follows the answer counts: the rejections log written in waitUntil, garbage collection).',
  );
  console.log(
    `  one pass over the corpus gives "median"; the ${c.params.top} costliest of each route are then sent ${c.params.repeats} times more ` +
      `(event and order ids renewed, the settings each met restored): a request's CPU is the median of its ${c.params.repeats}; "worst" is the largest of those.`,
  );
  console.log(
    `  nothing subtracted: idle workerd over the same wall time (${c.idle.windows} windows of ${ms(c.idle.wallMs)} ms) used ${c.idle.medianMs.toFixed(3)} ms (median), ${c.idle.maxMs.toFixed(3)} ms (max); ` +
      `for scale, POST /__bench/noop (reads the body, answers 204, no D1) costs ${c.floorNoopMs.toFixed(3)} ms here.`,
  );
  if (c.lostThreads || c.unsettled) console.log(`  caution: ${c.lostThreads} readings lost a workerd thread, ${c.unsettled} did not settle within ${MAX_SETTLE_MS} ms`);
  console.log('');
  table(
    ['route', 'requests', 'median ms', `≥ ${c.goalMs} ms (first pass)`, 'worst ms', 'worst / goal', 'worst refused (4xx) ms'],
    CPU_ROUTES.map((route) => {
      const r = c.routes[route];
      return [route, r.requests, ms(r.medianMs), r.overGoal, ms(r.worstMs), `${r.worstVsGoal.toFixed(1)}×`, r.worstRefused ? ms(r.worstRefused.ms) : '—'];
    }),
  );
  const width = Math.max(...CPU_ROUTES.map((r) => r.length));
  for (const route of CPU_ROUTES) {
    const w = c.routes[route].worst;
    console.log(`worst ${`${route}:`.padEnd(width + 1)} ${w.what} (${bytesText(w, route)}, answered ${w.status})`);
    const f = c.routes[route].worstRefused;
    if (f && f !== w) console.log(`  worst refused: ${f.what} (${bytesText(f, route)}, answered ${f.status})`);
  }
  console.log(`\nthe 5 costliest of each route: CPU ms, the median of ${c.params.repeats} repeats (their min–max; the first pass), the answer, the request`);
  for (const route of CPU_ROUTES) {
    console.log(route);
    for (const t of c.routes[route].top.slice(0, 5))
      console.log(`  ${ms(t.ms).padStart(7)} (${ms(t.repeats.min)}–${ms(t.repeats.max)}; ${ms(t.firstPassMs)})`.padEnd(36) + `  ${t.status}  ${t.what} (${bytesText(t, route)})`);
  }
}
