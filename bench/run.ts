// npm run bench (tsx bench/run.ts): the SDK's size, the ingest benchmark and the CPU per request. A measurement, not a test: it fails
// (exit 1) only when a route answers anything but 2xx, or the server cannot be run. A window
// during which wrangler reloaded (someone saved a file under packages/) is measured once more.
//
// One run prints every figure:
//   SDK: the script-tag build (/sdk.js) rebuilt, in bytes raw, gzip and brotli (quality 11),
//      beside its budget (2,473), its goal (2,000) and Plausible's tracker (2,355); and
//      /sdk.debug.js. `npm run bench -- --sdk` prints this alone.
//   0. In-process: the Worker's own code for one /api/updateOrder (form parse, validation, SQL
//      building, response JSON) against a better-sqlite3 stand-in for D1, so the JS time and
//      the SQLite time of the exact batch the Worker sends are known apart.
//   1. Ingest: `node scripts/dev.mjs bench/worker.ts` (the production app plus /__bench/noop and
//      /__bench/insert, which exist only in that entry) on a throwaway local D1, a site made by
//      the site CLI, then autocannon against noop, insert and /api/updateOrder (PHP
//      http_build_query bodies, a distinct order per request, 1000 customers). Each route is
//      measured twice: through wrangler's dev proxy (the port `npm run dev` serves) and straight
//      at the workerd process that runs the Worker and its D1 (no proxy hop: closer to what
//      production pays). req/s, p50/p99, and CPU per request of every server process.
//   2. Recent orders: server stopped, its D1 file seeded with better-sqlite3 (100 sites,
//      ~10,000 profiles, 1,000,000 orders), restarted; GET /api/orders/recent measured
//      sequentially and with autocannon, with the query plan of RECENT_ORDERS_SQL.
//   CPU (bench/cpu.ts): a server of its own on a fresh state; the worst-case CPU time per request
//      of /collect (POST and GET) and /api/updateOrder over the fuzz corpus of never-5xx.test.ts,
//      in the Worker+D1 workerd, one request at a time (/proc/<pid>/task/*/schedstat); goal
//      under 2 ms each. The corpus is mostly refused (4xx) on purpose: there only a 5xx fails.
//      `npm run bench -- --cpu` runs this alone (its figures go to the cpu entry of latest.json).
//   3. A summary, also written to bench/results/latest.json.
//
// Linux only (reads /proc for CPU time and for the Worker runtime's port). Every child runs in
// its own process group, killed at the end, on failure and on Ctrl-C.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import autocannon from 'autocannon';
import { measureAutomations, measureRequestPath, printAutomations } from './automations';
import { measureImport, printImport } from './import';
import { measureCollect, printCollect } from './collect';
import { measureCpu, printCpu, type Workerd } from './cpu';
import Database from 'better-sqlite3';
import { checkUpdate, type UpdateInput } from '@shopbeacon/protocol';
import { parseForm } from '../packages/worker/src/body';
import { updateOrder } from '../packages/worker/src/ingest';
import { hashKey } from '../packages/worker/src/keys';
import { RECENT_ORDERS_LIMIT, RECENT_ORDERS_SQL } from '../packages/worker/src/orders';
import { DEFAULT_SETTINGS } from '../packages/worker/src/settings';
import { INSERT_SITE, inlineParams, insertSiteParams, issueKeys } from '../packages/worker/src/sites';

// ---------------------------------------------------------------------------------------------
// Parameters

const INGEST = { connections: 10, warmupS: 2, durationS: 10 };
const RECENT = { sequential: 200, warmup: 50, connections: 4, warmupS: 2, durationS: 8 };
const SEED = { sites: 100, profiles: 10_000, orders: 1_000_000, measuredShare: 0.1, days: 365 };
const CUSTOMERS = 1000;
const BREAKDOWN_N = 3000;
const GOAL = { updateOrderVsInsert: 0.8, recentMedianMs: 5 };
const CPU_ONLY = process.argv.includes('--cpu');
const AUTOMATIONS_ONLY = process.argv.includes('--automations');
const IMPORT_ONLY = process.argv.includes('--import');
const COLLECT_ONLY = process.argv.includes('--collect');
const COMMAND = CPU_ONLY
  ? 'npm run bench -- --cpu   (= tsx bench/run.ts --cpu)'
  : AUTOMATIONS_ONLY
    ? 'npm run bench -- --automations   (= tsx bench/run.ts --automations)'
    : IMPORT_ONLY
      ? 'npm run bench -- --import   (= tsx bench/run.ts --import)'
      : COLLECT_ONLY
        ? 'npm run bench -- --collect   (= tsx bench/run.ts --collect)'
        : 'npm run bench   (= tsx bench/run.ts)';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
const log = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
const notes: string[] = []; // things that disturbed the run, printed with the summary
const failures: string[] = []; // things that make it exit 1

// ---------------------------------------------------------------------------------------------
// Processes: /proc, process groups, clean-up.

const groups = new Set<number>();

function killGroup(pgid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

function killAllNow() {
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
  groups.clear();
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the servers`);
    killAllNow();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });

interface Proc {
  pid: number;
  pgrp: number;
  comm: string;
  ticks: number; // user + system CPU, clock ticks
}

function procs(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' '); // f[0] is field 3 (state)
      out.push({ pid: +name, pgrp: +f[2], comm: stat.slice(stat.indexOf('(') + 1, close), ticks: +f[11] + +f[12] });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

const groupAlive = (pgid: number) => procs().some((p) => p.pgrp === pgid);

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy CPU ticks of the whole machine (all cores), from /proc/stat; interrupts left out (loopback traffic). */
function machineBusyTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , , , steal] = f;
  return user + nice + system + steal;
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/** The wrangler dev roles: the proxy workerd serves the public port, the other runs the Worker and D1. */
function roleOf(p: Proc, server: Server): string {
  if (p.comm === 'workerd') return cmdline(p.pid).includes(`entry=127.0.0.1:${server.port} `) ? 'workerd proxy' : 'workerd Worker+D1';
  if (p.comm === 'node') return p.pid === server.child.pid ? 'node dev.mjs' : 'node wrangler';
  return p.comm;
}

/** CPU seconds and role of every process of the server's process group. */
function serverCpu(server: Server): Map<number, { role: string; s: number }> {
  const byPid = new Map<number, { role: string; s: number }>();
  for (const p of procs()) if (p.pgrp === server.child.pid) byPid.set(p.pid, { role: roleOf(p, server), s: p.ticks / CLK_TCK });
  return byPid;
}

/**
 * CPU seconds by role between two snapshots; null when a process exited in between (a reload
 * replaced the runtime): its last ticks are lost, so the figures would be wrong.
 */
function cpuBetween(before: ReturnType<typeof serverCpu>, after: ReturnType<typeof serverCpu>): Map<string, number> | null {
  for (const pid of before.keys()) if (!after.has(pid)) return null;
  const byRole = new Map<string, number>();
  for (const [pid, { role, s }] of after) byRole.set(role, (byRole.get(role) ?? 0) + s - (before.get(pid)?.s ?? 0));
  return byRole;
}

/** TCP ports a process listens on (IPv4 and IPv6), from its socket inodes and /proc/net/tcp*. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}

/**
 * The workerd that runs the Worker itself (wrangler's proxy forwards to it): its pid and address.
 * Both change when wrangler reloads, so they are looked up again before every use.
 */
async function runtimeProcess(server: Server): Promise<Workerd | null> {
  for (const p of procs()) {
    if (p.pgrp !== server.child.pid || p.comm !== 'workerd' || roleOf(p, server) !== 'workerd Worker+D1') continue;
    for (const port of listeningPorts(p.pid)) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
        const text = await res.text();
        if (res.ok && text.includes('"shopbeacon"')) return { pid: p.pid, base: `http://127.0.0.1:${port}` };
      } catch {
        /* not the one */
      }
    }
  }
  return null;
}

const runtimeBase = async (server: Server) => (await runtimeProcess(server))?.base ?? null;

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The dev server

interface Server {
  child: ChildProcess;
  port: number;
  base: string;
}

let tmp = '';
let state = '';
let devLog = '';
let server: Server | undefined;

const serverEnv = () => ({
  ...process.env,
  SHOPBEACON_STATE: state,
  WRANGLER_SEND_METRICS: 'false',
  // wrangler appends every debug line (one per DevTools event of every request) to a log file,
  // tens of MB per run: keep it in the throwaway directory, not in ~/.config/.wrangler/logs.
  WRANGLER_LOG_PATH: join(tmp, 'wrangler-logs'),
});

const tail = (path: string, lines = 40) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n') : '');

const logSize = () => (existsSync(devLog) ? statSync(devLog).size : 0);

/** What the dev server logged since byte `from` (reloads show up there). */
function logSince(from: number): { text: string; size: number } {
  const size = logSize();
  if (size <= from) return { text: '', size };
  const fd = openSync(devLog, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    return { text: buf.toString('utf8'), size };
  } finally {
    closeSync(fd);
  }
}

async function startServer(): Promise<Server> {
  const port = await freePort();
  const fd = openSync(devLog, 'a');
  // `wrangler dev` takes the entry as a positional argument, replacing wrangler.toml's main.
  const child = spawn(process.execPath, [join(root, 'scripts/dev.mjs'), 'bench/worker.ts'], {
    cwd: root,
    env: { ...serverEnv(), PORT: String(port) },
    stdio: ['ignore', fd, fd],
    detached: true, // its own process group: dev.mjs, wrangler, esbuild, both workerd
  });
  closeSync(fd);
  groups.add(child.pid!);
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  const s = { child, port, base: `http://127.0.0.1:${port}` };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the dev server ${exited} before it was ready; its log (${devLog}):\n${tail(devLog)}`);
    if (await healthy(s)) return s;
    await sleep(250);
  }
  throw new Error(`the dev server was not ready after 90 s; its log (${devLog}):\n${tail(devLog)}`);
}

async function healthy(s: Server, timeoutMs = 2000) {
  try {
    const res = await fetch(`${s.base}/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function stopServer(s: Server) {
  const pgid = s.child.pid!;
  killGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pgid)) killGroup(pgid, 'SIGKILL');
  while (groupAlive(pgid)) await sleep(50);
  groups.delete(pgid);
}

/** After a disturbed window: the server answers again, or is restarted on the same state. */
async function recover() {
  for (let i = 0; i < 20; i++) {
    if (await healthy(server!)) return;
    await sleep(500);
  }
  notes.push('the dev server stopped answering after a disturbed window; it was restarted on the same state');
  log('the dev server does not answer: restarting it on the same state');
  await stopServer(server!);
  server = await startServer();
}

// ---------------------------------------------------------------------------------------------
// Statistics and printing

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN;
const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);
const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : NaN);
const fmt = (x: number | undefined, digits = 2) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number) => (b ? a / b : NaN);

function table(head: string[], rows: (string | number)[][]) {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

// ---------------------------------------------------------------------------------------------
// Bodies: PHP's http_build_query, exactly (urlencode: RFC 1738, space as +, only A-Za-z0-9-_.
// left as they are, brackets percent-encoded, list indices written out).

const phpUrlencode = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

function httpBuildQuery(value: unknown, prefix = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => httpBuildQuery(v, prefix ? `${prefix}[${k}]` : k))
      .filter(Boolean)
      .join('&');
  return `${phpUrlencode(prefix)}=${phpUrlencode(String(value))}`;
}

const FIRSTNAMES = ['Jean', 'Marie', 'Léa', 'Hugo', 'Chloé', 'Louis', 'Emma', 'Noah', 'Zoé', 'Gabriel'];
const NAMES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau'];

const customerData = (i: number) => ({
  customer_email: `customer${i}@shop.example`,
  external_id: `C${String(i).padStart(6, '0')}`,
  customer_name: NAMES[i % NAMES.length],
  customer_firstname: FIRSTNAMES[(i * 7) % FIRSTNAMES.length],
  customer_isoptin: i % 3 === 0 ? '1' : '0',
});

/**
 * The /api/updateOrder body of order number n (a distinct id), customer n mod CUSTOMERS: profile
 * with email, external_id, name and opt-in; order with state, amount, date, two tags, product
 * attributes of two products, custom field 327. The customer part is encoded once per
 * customer, so the load generator (sharing the cores with the server) spends next to nothing.
 */
const customerForms = Array.from({ length: CUSTOMERS }, (_, i) => httpBuildQuery({ data: customerData(i) }));
function orderForm(tag: string, n: number) {
  const idorder = `${tag}-${n}`;
  const order = {
    data: {
      order_state: n % 4 === 0 ? '10' : '20',
      order_amount: (19.9 + (n % 500) * 1.37).toFixed(2),
      order_crea_dt: '2026-07-02 14:31:08',
      add_order_tag: ['web', n % 2 ? 'promo_ete' : 'livraison_express'],
      product_attributes: [
        ['sku:TSHIRT-42', 'size:xl', 'color:navy'],
        ['sku:MUG-07', 'qty:2'],
      ],
      custom_fields: { 327: n % 2 ? 'gold' : 'silver' },
    },
    request: { order_idorder: idorder },
  };
  return `${customerForms[n % CUSTOMERS]}&${httpBuildQuery(order)}`;
}

// ---------------------------------------------------------------------------------------------
// 0. In-process cost of one updateOrder: the Worker's code on a better-sqlite3 stand-in for D1.

/** Just enough of D1Database for ingest.ts: prepare/bind/batch, one transaction per batch. */
type Stmt = { sql: string; params: unknown[] };
class SqliteD1 {
  statements = 0;
  batches = 0;
  sqlMs = 0;
  /** SQLite time by statement, named by its first words ("INSERT INTO orders"). */
  byStatement = new Map<string, number>();
  private readonly cache = new Map<string, { st: Database.Statement; name: string; named: boolean }>();
  private readonly tx: (list: Stmt[]) => { results: unknown[] }[];

  constructor(readonly db: Database.Database) {
    // D1 runs a batch as one transaction.
    this.tx = db.transaction((list: Stmt[]) =>
      list.map((s) => {
        const { st, name, named } = this.stmt(s.sql);
        // ?NNN parameters go by name (p1, p2, …): better-sqlite3 binds only anonymous ? by position.
        const args = named ? [Object.fromEntries(s.params.map((v, i) => [`p${i + 1}`, v]))] : s.params;
        const t0 = performance.now();
        const out = st.reader ? { results: st.all(...args) } : (st.run(...args), { results: [] });
        this.byStatement.set(name, (this.byStatement.get(name) ?? 0) + performance.now() - t0);
        return out;
      }),
    );
  }

  private stmt(sql: string) {
    let s = this.cache.get(sql);
    if (!s) {
      const name = sql.trim().split(/\s+/).slice(0, 3).join(' ').replace(/\(.*$/, '');
      s = { st: this.db.prepare(sql.replace(/\?(\d+)/g, '@p$1')), name, named: /\?\d/.test(sql) };
      this.cache.set(sql, s);
    }
    return s;
  }

  prepare(sql: string) {
    const make = (params: unknown[]): Stmt & { bind: (...p: unknown[]) => Stmt } => ({ sql, params, bind: (...p) => make(p) });
    return make([]);
  }

  async batch(list: Stmt[]) {
    const t = performance.now();
    const results = this.tx(list);
    this.sqlMs += performance.now() - t;
    this.statements += list.length;
    this.batches++;
    return results;
  }
}

/**
 * A site row as `npm run site -- create` writes it: INSERT_SITE with its parameters inlined
 * (better-sqlite3 does not bind ?NNN parameters that repeat).
 */
const insertSiteRow = (db: Database.Database, name: string, keys: Awaited<ReturnType<typeof issueKeys>>, now: number) =>
  db.prepare(inlineParams(INSERT_SITE, insertSiteParams(name, keys, now))).get() as { id: number };

async function breakdown() {
  const db = new Database(join(tmp, 'breakdown.sqlite'));
  db.pragma('journal_mode = WAL');
  // Every migration, in order, as `wrangler d1 migrations apply` runs them.
  const migrations = join(root, 'packages/worker/migrations');
  for (const f of readdirSync(migrations).filter((n) => n.endsWith('.sql')).sort()) db.exec(readFileSync(join(migrations, f), 'utf8'));
  db.exec('CREATE TABLE bench_ingest (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, body TEXT NOT NULL)');
  const siteId = insertSiteRow(db, 'breakdown', await issueKeys(), Date.now()).id;
  const d1 = new SqliteD1(db);
  const site = { id: siteId, settings: DEFAULT_SETTINGS };
  const { privateKey } = await issueKeys();
  const WARM = 300;
  const forms = Array.from({ length: BREAKDOWN_N + WARM }, (_, n) => orderForm('breakdown', n));
  const insert = db.prepare('INSERT INTO bench_ingest (received_at, body) VALUES (?, ?)');

  const sum = { hash: 0, parse: 0, check: 0, total: 0, insert: 0 };
  let sqlAtStart = 0;
  for (let n = 0; n < forms.length; n++) {
    if (n === WARM) {
      sqlAtStart = d1.sqlMs;
      d1.statements = d1.batches = 0;
      d1.byStatement.clear();
    }
    const t0 = performance.now();
    await hashKey(privateKey); // the per-request SHA-256 of the auth check (the site row is cached)
    const t1 = performance.now();
    const parsed = parseForm(forms[n]);
    const t2 = performance.now();
    const { values, errors } = checkUpdate(parsed, 'order');
    if (errors.length) throw new Error(`the benchmark's updateOrder body is refused: ${JSON.stringify(errors)}`);
    const t3 = performance.now();
    const result = await updateOrder(d1 as unknown as D1Database, site, values as Required<UpdateInput>, 'api');
    JSON.stringify({ ok: true, ...result });
    const t4 = performance.now();
    insert.run(Date.now(), forms[n]);
    const t5 = performance.now();
    if (n >= WARM) {
      sum.hash += t1 - t0;
      sum.parse += t2 - t1;
      sum.check += t3 - t2;
      sum.total += t4 - t0;
      sum.insert += t5 - t4;
    }
  }
  db.close();
  const sql = d1.sqlMs - sqlAtStart;
  const us = (ms: number) => round((ms / BREAKDOWN_N) * 1000, 1);
  return {
    requests: BREAKDOWN_N,
    statementsPerBatch: d1.statements / d1.batches,
    bodyBytes: Buffer.byteLength(forms[0]),
    usPerRequest: {
      parseForm: us(sum.parse),
      checkUpdate: us(sum.check),
      'SQL building + row mapping + response JSON': us(sum.total - sum.hash - sum.parse - sum.check - sql),
      'SQLite, the whole batch': us(sql),
      ...Object.fromEntries([...d1.byStatement].map(([name, ms]) => [`  SQLite: ${name} …`, us(ms)])),
      '  SQLite: BEGIN/COMMIT and the rest': us(sql - [...d1.byStatement.values()].reduce((x, y) => x + y, 0)),
      'total updateOrder (without the hash)': us(sum.total - sum.hash),
      'SQLite: the bench single INSERT': us(sum.insert),
      // Node's Web Crypto digest is asynchronous (a thread-pool round trip): this is latency,
      // far above workerd's cost for a 47-byte key; shown apart, kept out of the total.
      'auth SHA-256, Web Crypto in Node (apart)': us(sum.hash),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Load windows

type Target = 'proxy' | 'direct';

interface Window {
  route: string;
  target: Target;
  connections: number;
  durationS: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number; // connection errors, timeouts included
  timeouts: number;
  statusCodes: Record<string, number>;
  warmupNon2xx: number;
  reloads: number;
  attempts: number;
  otherCpuCores: number; // CPU used outside the benchmark's processes during the window (all cores)
  otherTop: string[]; // the busiest of those processes
  responseBytes: number; // mean response size (headers included)
  cpuMsPerRequest: Record<string, number>;
  loadGeneratorCpuMsPerRequest: number;
}

type Setup = (req: autocannon.Request) => autocannon.Request;
interface LoadSpec {
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  setup?: Setup;
  connections: number;
  warmupS: number;
  durationS: number;
}

function cannon(base: string, spec: LoadSpec, durationS: number, latencies?: number[]) {
  const run = autocannon({
    url: base + spec.path,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: durationS,
    requests: spec.setup ? [{ setupRequest: spec.setup }] : undefined,
  }) as Promise<autocannon.Result> & EventEmitter;
  // autocannon's own histogram has 1 ms resolution; its per-response timings are hrtime-precise.
  if (latencies)
    run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  return run;
}

const RELOAD = /Reloading local server/g;

/** Waits until wrangler has not reloaded for 5 s (30 s at most): edits come in bursts. */
async function waitQuiet() {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const from = logSize();
    await sleep(5000);
    if (!logSince(from).text.includes('Reloading local server')) return;
  }
}

const ATTEMPTS = 3;
const RETRY_BUDGET_S = 200; // no new attempt once the run is this old: it must stay near 4 minutes

async function window(route: string, target: Target, spec: LoadSpec): Promise<Window> {
  let w: Window | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const base = target === 'proxy' ? server!.base : await runtimeBase(server!);
    if (!base) throw new Error(`cannot find the port of the workerd that runs the Worker (for ${route}, direct)`);
    const logFrom = logSize();
    const warm = await cannon(base, spec, spec.warmupS);
    const latencies: number[] = [];
    const cpu0 = serverCpu(server!);
    const all0 = procs();
    const busy0 = machineBusyTicks();
    const self0 = process.cpuUsage();
    const r = await cannon(base, spec, spec.durationS, latencies);
    const self = process.cpuUsage(self0);
    const busy = machineBusyTicks() - busy0;
    const all1 = procs();
    const cpu1 = serverCpu(server!);
    const before = new Map(all0.map((p) => [p.pid, p.ticks]));
    const otherTop = all1
      .filter((p) => p.pgrp !== server!.child.pid && p.pid !== process.pid)
      .map((p) => ({ p, cores: (p.ticks - (before.get(p.pid) ?? p.ticks)) / CLK_TCK / r.duration }))
      .filter((x) => x.cores >= 0.05)
      .sort((a, b) => b.cores - a.cores)
      .slice(0, 3)
      .map((x) => `${x.p.comm}[${x.p.pid}] ${round(x.cores, 2)}`);
    const reloads = (logSince(logFrom).text.match(RELOAD) ?? []).length;

    const cpuMsPerRequest: Record<string, number> = {};
    const byRole = cpuBetween(cpu0, cpu1);
    let serverS = 0;
    for (const [role, d] of byRole ?? []) {
      serverS += d;
      cpuMsPerRequest[role] = round((d * 1000) / Math.max(1, r.requests.total), 3);
    }
    cpuMsPerRequest.total = byRole ? round((serverS * 1000) / Math.max(1, r.requests.total), 3) : NaN;
    const selfS = (self.user + self.system) / 1e6;
    const sorted = sortNum(latencies);
    w = {
      route,
      target,
      connections: spec.connections,
      durationS: r.duration,
      requests: r.requests.total,
      rps: round(r['2xx'] / r.duration, 1),
      p50: round(quantile(sorted, 0.5), 3),
      p99: round(quantile(sorted, 0.99), 3),
      mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length, 3),
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count ?? 0])),
      warmupNon2xx: warm.non2xx + warm.errors,
      reloads,
      attempts: attempt,
      otherCpuCores: byRole ? round(Math.max(0, busy / CLK_TCK - serverS - selfS) / r.duration, 2) : NaN,
      otherTop,
      responseBytes: Math.round(r.throughput.total / Math.max(1, r.requests.total)),
      cpuMsPerRequest,
      loadGeneratorCpuMsPerRequest: round((selfS * 1000) / Math.max(1, r.requests.total), 3),
    };
    log(
      `${route} [${target}]: ${fmt(w.rps, 1)} req/s, p50 ${fmt(w.p50)} ms, p99 ${fmt(w.p99)} ms; ${w.requests} requests, ` +
        `non-2xx ${w.non2xx}, errors ${w.errors} (timeouts ${w.timeouts}), status ${JSON.stringify(w.statusCodes)}` +
        `${w.otherCpuCores >= 0.2 ? `; outside the bench: ${w.otherCpuCores} cores (${w.otherTop.join(', ') || 'short-lived processes'})` : ''}`,
    );
    const bad = w.non2xx + w.errors + w.warmupNon2xx > 0;
    if (!bad && !reloads) return w;
    // Failed requests with no reload to explain them are the result: reported, not measured away.
    if (!reloads) break;
    const why = [reloads ? `wrangler reloaded ${reloads}× (a source file changed)` : '', bad ? `${w.non2xx} non-2xx, ${w.errors} errors, ${w.warmupNon2xx} in warm-up` : '']
      .filter(Boolean)
      .join('; ');
    const again = attempt < ATTEMPTS && (performance.now() - started) / 1000 < RETRY_BUDGET_S;
    notes.push(`${route} [${target}] attempt ${attempt}: ${why}`);
    log(`  disturbed: ${why}${again ? '; measuring again once wrangler is quiet' : ''}`);
    if (!again) break;
    await waitQuiet();
    await recover();
  }
  if (w!.non2xx + w!.errors + w!.warmupNon2xx > 0)
    failures.push(`${route} [${target}]: ${w!.non2xx} non-2xx, ${w!.errors} errors, ${w!.warmupNon2xx} in warm-up (status ${JSON.stringify(w!.statusCodes)})`);
  else if (w!.reloads) failures.push(`${route} [${target}]: wrangler reloaded during both attempts; its figures are not trustworthy`);
  return w!;
}

async function sequential(base: string, path: string, headers: Record<string, string>, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(base + path, { headers });
    await expectStatus(res, 200, `GET ${path}`);
    times.push(performance.now() - t);
  }
  const sorted = sortNum(times);
  return { requests: n, p50: round(quantile(sorted, 0.5), 3), p99: round(quantile(sorted, 0.99), 3), mean: round(times.reduce((a, b) => a + b, 0) / n, 3) };
}

// ---------------------------------------------------------------------------------------------
// 2. Seeding: 100 sites, ~10,000 profiles, 1,000,000 orders, straight into the D1 file.

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function findD1File(): string {
  const dir = join(state, 'v3/d1/miniflare-D1DatabaseObject');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  const withSites = files.filter((f) => {
    const db = new Database(join(dir, f), { readonly: true, fileMustExist: true });
    try {
      return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sites'").get();
    } finally {
      db.close();
    }
  });
  if (withSites.length !== 1) throw new Error(`expected one D1 file with a sites table in ${dir}, found ${withSites.length}: ${files.join(', ')}`);
  return join(dir, withSites[0]);
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// State mix, and how long after it was received an order in that state was last updated.
const STATES: { state: number; share: number; delay: [number, number] }[] = [
  { state: 0, share: 0.05, delay: [HOUR, 5 * DAY] }, // cancelled
  { state: 10, share: 0.1, delay: [0, 0] }, // taken, never touched again
  { state: 20, share: 0.35, delay: [60_000, 6 * HOUR] }, // paid
  { state: 50, share: 0.2, delay: [DAY, 3 * DAY] }, // sent
  { state: 100, share: 0.3, delay: [3 * DAY, 10 * DAY] }, // received
];
const ORDER_TAGS = ['[]', '["web"]', '["web","promo_ete"]', '["magasin"]', '["web","livraison_express"]', '["b2b","web"]'];
const PRODUCTS = ['sku:TSHIRT-42', 'sku:MUG-07', 'sku:SWEAT-11', 'sku:CAP-03', 'sku:SOCKS-9', 'sku:BAG-21'];
const ATTRS = ['size:s', 'size:m', 'size:xl', 'color:navy', 'color:red', 'qty:2', 'qty:1'];

async function seed(file: string) {
  const rnd = mulberry32(20260702);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const now = Date.now();
  const span = SEED.days * DAY;
  const db = new Database(file);
  const journal = String(db.pragma('journal_mode', { simple: true }));
  const t0 = performance.now();

  const keys = await Promise.all(Array.from({ length: SEED.sites }, () => issueKeys()));
  // product_attributes as the API stores them: JSON.stringify of string[][].
  const attrVariants = Array.from({ length: 64 }, () =>
    JSON.stringify(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => [pick(PRODUCTS), pick(ATTRS), pick(ATTRS)])),
  );
  const insertProfile = db.prepare(`INSERT INTO profiles (site_id, email, external_id, name, firstname, isoptin, isoptin_at, tags,
      custom_fields, gdpr, source, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', 'api', ?, ?, ?)`);
  const insertOrder = db.prepare(`INSERT INTO orders (site_id, idorder, profile_id, state, amount, crea_dt, tags,
      product_attributes, source, version, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const otherProfiles = Math.round((SEED.profiles * (1 - SEED.measuredShare)) / (SEED.sites - 1));
  const sites: { id: number; publicKey: string; privateKey: string; profiles: number[] }[] = [];

  db.transaction(() => {
    for (let s = 0; s < SEED.sites; s++) {
      const row = insertSiteRow(db, `seeded shop ${String(s + 1).padStart(3, '0')}`, keys[s], now - span);
      const n = s === 0 ? Math.round(SEED.profiles * SEED.measuredShare) : otherProfiles;
      const profiles: number[] = [];
      for (let j = 0; j < n; j++) {
        const created = now - span + Math.floor(rnd() * span);
        const r = insertProfile.run(
          row.id,
          `client${j}@shop${s + 1}.example`,
          `S${s + 1}-C${j}`,
          pick(NAMES),
          pick(FIRSTNAMES),
          rnd() < 0.4 ? 1 : 0,
          created,
          rnd() < 0.3 ? '["vip"]' : '[]',
          rnd() < 0.5 ? `{"327":"${pick(['gold', 'silver', 'bronze'])}"}` : '{}',
          1 + Math.floor(rnd() * 5),
          created,
          created + Math.floor(rnd() * (now - created)),
        );
        profiles.push(Number(r.lastInsertRowid));
      }
      sites.push({ id: row.id, publicKey: keys[s].publicKey, privateKey: keys[s].privateKey, profiles });
    }
    // Orders arrive in time order over the year, interleaved across sites; site 1 (measured)
    // gets measuredShare of them, the others share the rest evenly.
    const seqBySite = new Array<number>(SEED.sites).fill(0);
    for (let i = 0; i < SEED.orders; i++) {
      const s = rnd() < SEED.measuredShare ? 0 : 1 + Math.floor(rnd() * (SEED.sites - 1));
      const site = sites[s];
      const received = now - span + Math.floor((i / SEED.orders) * span) + Math.floor(rnd() * 60_000);
      let x = rnd();
      const st = STATES.find((c) => (x -= c.share) < 0) ?? STATES[STATES.length - 1];
      const updated = Math.min(now, received + st.delay[0] + Math.floor(rnd() * (st.delay[1] - st.delay[0])));
      insertOrder.run(
        site.id,
        `ORD-${String(++seqBySite[s]).padStart(7, '0')}`,
        site.profiles[Math.floor(rnd() * site.profiles.length)],
        st.state,
        Math.round((5 + rnd() * 495) * 100) / 100,
        isoSeconds(received),
        pick(ORDER_TAGS),
        pick(attrVariants),
        rnd() < 0.9 ? 'api' : 'tracker',
        updated === received ? 1 : 2 + Math.floor(rnd() * 3),
        received,
        updated,
      );
    }
  })();
  const seedSeconds = round((performance.now() - t0) / 1000, 1);
  db.pragma('wal_checkpoint(TRUNCATE)');

  const measured = sites[0];
  const counts = db
    .prepare('SELECT (SELECT count(*) FROM sites) AS sites, (SELECT count(*) FROM profiles) AS profiles, (SELECT count(*) FROM orders) AS orders')
    .get() as { sites: number; profiles: number; orders: number };
  const measuredOrders = (db.prepare('SELECT count(*) AS n FROM orders WHERE site_id = ?').get(measured.id) as { n: number }).n;
  // ?1 the site, ?2 the validation threshold (20: the default "paid"), ?3 the site's stores (none);
  // better-sqlite3 binds numbered parameters from an object.
  const params = { 1: measured.id, 2: 20, 3: '[]' };
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${RECENT_ORDERS_SQL}`).all(params) as { detail: string }[]).map((r) => r.detail);
  const query = db.prepare(RECENT_ORDERS_SQL);
  for (let i = 0; i < 20; i++) query.all(params);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    query.all(params);
    times.push(performance.now() - t);
  }
  db.close();
  const sorted = sortNum(times);
  return {
    journalMode: journal,
    seedSeconds,
    fileMB: round(statSync(file).size / 2 ** 20, 0),
    counts: { ...counts, seededProfiles: sites.reduce((a, s) => a + s.profiles.length, 0), measuredSiteOrders: measuredOrders, measuredSiteProfiles: measured.profiles.length },
    measured,
    plan,
    sqliteQueryMs: { p50: round(quantile(sorted, 0.5), 3), p99: round(quantile(sorted, 0.99), 3) },
  };
}

// ---------------------------------------------------------------------------------------------
// Main

/** A site made by the site CLI, on the server's state. */
function createSite(name: string) {
  const created = spawnSync('npm', ['run', '--silent', 'site', '--', 'create', '--name', name, '--json'], { cwd: root, env: serverEnv(), encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`npm run site failed:\n${created.stdout}\n${created.stderr}`);
  const site = JSON.parse(created.stdout.trim().split('\n').at(-1)!) as { siteId: number; publicKey: string; privateKey: string };
  log(`site ${site.siteId} "${name}" created with npm run site (${site.publicKey})`);
  return site;
}

/**
 * The CPU section (bench/cpu.ts), on a server of its own on a fresh state (the same in a full
 * run as with --cpu, and the other sections' data untouched), for a site of its own.
 */
async function cpuSection(commit: string) {
  state = join(tmp, 'state-cpu');
  log(`starting node scripts/dev.mjs bench/worker.ts for the CPU section (state ${state}) …`);
  server = await startServer();
  log(`ready on ${server.base}`);
  const site = createSite('bench cpu');
  const runtime = await runtimeProcess(server!);
  if (!runtime) throw new Error('cannot find the workerd that runs the Worker (for the CPU section)');
  const logFrom = logSize();
  const figures = await measureCpu(runtime, site, log);
  const reloads = (logSince(logFrom).text.match(RELOAD) ?? []).length;
  if (reloads) failures.push(`CPU: wrangler reloaded ${reloads}× during the section; its figures are not trustworthy`);
  log(`CPU: done in ${figures.seconds} s`);
  await stopServer(server);
  server = undefined;
  return { date: new Date().toISOString(), command: COMMAND, commit, ...figures };
}

/** The automations section (bench/automations.ts), on a server of its own on a fresh state. */
async function automationsSection(commit: string) {
  state = join(tmp, 'state-automations');
  log(`starting node scripts/dev.mjs bench/worker.ts for the automations section (state ${state}) …`);
  server = await startServer();
  log(`ready on ${server.base}`);
  const base = await runtimeBase(server);
  if (!base) throw new Error('cannot find the port of the workerd that runs the Worker (for the automations section)');
  const deps = { base, createSite, window: (route: string, spec: Parameters<typeof window>[2]) => window(route, 'direct', spec), orderForm, basic, log };
  const figures = await measureAutomations(deps, await measureRequestPath(deps));
  log(`automations: done in ${figures.seconds} s`);
  await stopServer(server);
  server = undefined;
  return { date: new Date().toISOString(), command: COMMAND, commit, ...figures };
}

/** The collect section (bench/collect.ts), on a server of its own on a fresh state. */
async function collectSection(commit: string) {
  state = join(tmp, 'state-collect');
  log(`starting node scripts/dev.mjs bench/worker.ts for the collect section (state ${state}) …`);
  server = await startServer();
  log(`ready on ${server.base}`);
  const runtime = await runtimeProcess(server);
  if (!runtime) throw new Error('cannot find the workerd that runs the Worker (for the collect section)');
  // CPU seconds of the workerd that runs the Worker and its D1 (and, live, the consumer).
  const workerCpuS = () => (procs().find((p) => p.pid === runtime.pid)?.ticks ?? NaN) / CLK_TCK;
  const figures = await measureCollect({ base: runtime.base, createSite, orderForm, basic, log, workerCpuS });
  const { throughput, integrity, mixed } = figures;
  for (const [route, t] of Object.entries(throughput)) if (t.non2xx + t.errors) failures.push(`collect ${route}: ${t.non2xx} non-2xx, ${t.errors} errors`);
  for (const [what, i] of Object.entries(integrity)) if (i.lost || i.doubled) failures.push(`collect ${what}: ${i.lost} events lost, ${i.doubled} doubled`);
  if (mixed.beacons.s5xx + mixed.pixels.s5xx + mixed.orders.s5xx) failures.push('collect: the bounded load test had 5xx answers');
  if (!mixed.checks.ok)
    failures.push(`collect: the bounded load test's stored rows differ from the sent ones (${JSON.stringify(mixed.checks)})`);
  log(`collect: done in ${figures.seconds} s`);
  await stopServer(server);
  server = undefined;
  return { date: new Date().toISOString(), command: COMMAND, commit, ...figures };
}

/** The import section (bench/import.ts), on a server of its own on a fresh state. */
async function importSection(commit: string) {
  state = join(tmp, 'state-import');
  log(`starting node scripts/dev.mjs bench/worker.ts for the import section (state ${state}) …`);
  server = await startServer();
  log(`ready on ${server.base}`);
  const figures = await measureImport({ base: server.base, root, tmp, createSite, basic, log });
  log(`import: done in ${figures.seconds} s`);
  await stopServer(server);
  server = undefined;
  return { date: new Date().toISOString(), command: COMMAND, commit, ...figures };
}

const RESULTS = join(root, 'bench/results/latest.json');

const basic = (publicKey: string, privateKey: string) => `Basic ${Buffer.from(`${publicKey}:${privateKey}`).toString('base64')}`;

async function expectStatus(res: Response, status: number, what: string) {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? ' + uncommitted changes in packages/' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** A built file's bytes: raw, gzip -9, brotli q11. */
function sizes(file: string) {
  const code = readFileSync(join(root, 'packages/sdk/dist', file));
  return { raw: code.length, gzip: gzipSync(code, { level: 9 }).length, brotli: brotliCompressSync(code, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }).length };
}

/** The script-tag SDK as the Worker serves it (/sdk.js, and /sdk.debug.js beside it), freshly built. */
function sdkSizes() {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  return { ...sizes('sdk.js'), budget: SDK_BUDGET, goal: SDK_GOAL, plausible: PLAUSIBLE_BROTLI, debug: sizes('sdk.debug.js') };
}

// The size test's limit, the issue's goal, and Plausible's page-view-only tracker (brotli).
const SDK_BUDGET = 2473;
const SDK_GOAL = 2000;
const PLAUSIBLE_BROTLI = 2355;

function printSdk(sdk: ReturnType<typeof sdkSizes>) {
  console.log(`SDK /sdk.js: ${sdk.raw} B raw, ${sdk.gzip} B gzip, ${sdk.brotli} B brotli = ${round(sdk.brotli / SDK_BUDGET, 2)}× the ${SDK_BUDGET} B budget, ${round(sdk.brotli / SDK_GOAL, 2)}× the ${SDK_GOAL} B goal, ${round(sdk.brotli / PLAUSIBLE_BROTLI, 2)}× Plausible's page-view-only tracker (${PLAUSIBLE_BROTLI} B)`);
  console.log(`SDK /sdk.debug.js (every value checked in the browser; not held to the budget): ${sdk.debug.raw} B raw, ${sdk.debug.gzip} B gzip, ${sdk.debug.brotli} B brotli\n`);
}

async function main() {
  const machine = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()}`,
    loadAverage1m: round(os.loadavg()[0], 2),
  };
  const commit = gitCommit();
  console.log('shopbeacon ingest benchmark');
  console.log(`command:  ${COMMAND}`);
  console.log(`machine:  node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGB} GB, ${machine.platform}; load average ${machine.loadAverage1m}`);
  console.log(`code:     ${commit}`);
  console.log(`date:     ${new Date().toISOString()}`);
  console.log('note:     autocannon, wrangler and both workerd processes share these CPUs: compare ratios, not absolutes, across machines.\n');

  const sdk = CPU_ONLY || AUTOMATIONS_ONLY || IMPORT_ONLY || COLLECT_ONLY ? undefined : sdkSizes();
  if (sdk) printSdk(sdk);
  if (process.argv.includes('--sdk')) return;

  tmp = mkdtempSync(join(os.tmpdir(), 'shopbeacon-bench-'));
  state = join(tmp, 'state');
  devLog = join(tmp, 'dev.log');
  let keepLog = !!process.env.SHOPBEACON_BENCH_KEEP_LOG; // or on failure
  /** Writes the figures; a run with failures exits 1 and keeps the server's log. */
  const finish = (results: object, written: string) => {
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log(written);
    if (failures.length) {
      console.error(`\nFAILED: ${failures.length} problem(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
      keepLog = true;
      process.exitCode = 1;
    }
  };
  try {
    /** One section alone (--cpu, --automations): its figures printed, and its entry of latest.json replaced. */
    const alone = async <T,>(entry: string, figures: T, print: (f: T) => void) => {
      print(figures);
      if (notes.length) console.log(`\ndisturbances:\n${notes.map((n) => `  - ${n}`).join('\n')}`);
      console.log(`\nmachine: node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); code ${commit}`);
      console.log(`command: ${COMMAND}; total ${round((performance.now() - started) / 1000, 1)} s`);
      const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
      finish({ ...previous, [entry]: figures }, `figures written to bench/results/latest.json: its ${entry} entry (with its own date and commit); the other entries are from the last full run`);
    };
    if (CPU_ONLY) return await alone('cpu', await cpuSection(commit), (f) => printCpu(f, table));
    if (AUTOMATIONS_ONLY) return await alone('automations', await automationsSection(commit), (f) => printAutomations(f, table));
    if (IMPORT_ONLY) return await alone('import', await importSection(commit), printImport);
    if (COLLECT_ONLY) return await alone('collect', await collectSection(commit), (f) => printCollect(f, table));
    // 0. In-process breakdown.
    log(`in-process: ${BREAKDOWN_N} updateOrder calls through the Worker's code on better-sqlite3 …`);
    const inProcess = await breakdown();
    log(`  ${inProcess.statementsPerBatch} statements per batch, ${inProcess.usPerRequest['total updateOrder (without the hash)']} µs per call`);

    // 1. Ingest.
    log(`starting node scripts/dev.mjs bench/worker.ts (state and logs in ${tmp}) …`);
    server = await startServer();
    log(`ready on ${server.base}`);
    const site = createSite('bench ingest');

    const sample = orderForm('check', 0);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const auth = { authorization: basic(site.publicKey, site.privateKey) };
    const runtime = await runtimeBase(server);
    if (!runtime) throw new Error('cannot find the port of the workerd that runs the Worker');
    // One request of each kind on each path first, so a broken route fails here with its answer.
    for (const base of [server.base, runtime]) {
      await expectStatus(await fetch(`${base}/__bench/noop`, { method: 'POST', headers: form, body: sample }), 204, 'POST /__bench/noop');
      await expectStatus(await fetch(`${base}/__bench/insert`, { method: 'POST', headers: form, body: sample }), 200, 'POST /__bench/insert');
    }
    const first = JSON.parse(await expectStatus(await fetch(`${server.base}/api/updateOrder`, { method: 'POST', headers: { ...form, ...auth }, body: sample }), 200, 'POST /api/updateOrder'));
    if (!first.ok || first.created !== true || first.order?.order_idorder !== 'check-0')
      throw new Error(`POST /api/updateOrder: unexpected answer ${JSON.stringify(first).slice(0, 500)}`);
    log(`checked: noop 204, insert 200, updateOrder 200 created (a ${Buffer.byteLength(sample)}-byte http_build_query body); Worker runtime at ${runtime}`);

    const tag = Date.now().toString(36);
    let orderN = 1;
    const varyOrder: Setup = (req) => ({ ...req, body: orderForm(tag, orderN++) });
    const post = { method: 'POST' as const, connections: INGEST.connections, warmupS: INGEST.warmupS, durationS: INGEST.durationS };
    const routes: [string, LoadSpec][] = [
      ['POST /__bench/noop', { ...post, path: '/__bench/noop', headers: form, body: sample }],
      ['POST /__bench/insert', { ...post, path: '/__bench/insert', headers: form, body: sample }],
      ['POST /api/updateOrder', { ...post, path: '/api/updateOrder', headers: { ...form, ...auth }, setup: varyOrder }],
    ];
    const ingest: Record<Target, Window[]> = { proxy: [], direct: [] };
    for (const [route, spec] of routes) for (const target of ['proxy', 'direct'] as const) ingest[target].push(await window(route, target, spec));
    const ordersSent = orderN - 1;

    // 2. Recent orders on a seeded database.
    await stopServer(server);
    server = undefined;
    log(`server stopped; seeding ${SEED.orders.toLocaleString('en')} orders, ~${SEED.profiles.toLocaleString('en')} profiles, ${SEED.sites} sites …`);
    const seeded = await seed(findD1File());
    log(`seeded in ${seeded.seedSeconds} s (${seeded.fileMB} MB, journal ${seeded.journalMode}): ${JSON.stringify(seeded.counts)}`);
    server = await startServer();
    const runtime2 = await runtimeBase(server);
    if (!runtime2) throw new Error('cannot find the port of the workerd that runs the Worker');
    log(`restarted on ${server.base}; Worker runtime at ${runtime2}`);

    const recentPath = '/api/orders/recent';
    const recentAuth = { authorization: basic(seeded.measured.publicKey, seeded.measured.privateKey) };
    let bodyBytes = 0;
    let firstBody: { orders: { updated_at: string }[] } | undefined;
    for (let i = 0; i < RECENT.warmup; i++) {
      const text = await expectStatus(await fetch(server.base + recentPath, { headers: recentAuth }), 200, `GET ${recentPath}`);
      bodyBytes = Buffer.byteLength(text);
      firstBody ??= JSON.parse(text);
    }
    const got = firstBody!.orders;
    const newestFirst = got.every((o, i) => i === 0 || o.updated_at <= got[i - 1].updated_at);
    if (got.length !== RECENT_ORDERS_LIMIT || !newestFirst)
      failures.push(`GET ${recentPath}: ${got.length} orders${newestFirst ? '' : ', not newest first'} (expected ${RECENT_ORDERS_LIMIT})`);
    for (let i = 0; i < RECENT.warmup; i++) await expectStatus(await fetch(runtime2 + recentPath, { headers: recentAuth }), 200, `GET ${recentPath}`);
    const seqProxy = await sequential(server.base, recentPath, recentAuth, RECENT.sequential);
    const seqDirect = await sequential(runtime2, recentPath, recentAuth, RECENT.sequential);
    // The floor: one D1 round trip that returns nothing, on the same server, the same way.
    const floorProxy = await sequential(server.base, '/__bench/select', {}, RECENT.sequential);
    const floorDirect = await sequential(runtime2, '/__bench/select', {}, RECENT.sequential);
    log(`GET /__bench/select (SELECT 1) sequential: median ${fmt(floorProxy.p50)} ms (direct ${fmt(floorDirect.p50)} ms)`);
    log(`GET ${recentPath} sequential: median ${fmt(seqProxy.p50)} ms (direct ${fmt(seqDirect.p50)} ms), p99 ${fmt(seqProxy.p99)} ms (direct ${fmt(seqDirect.p99)} ms); body ${bodyBytes} bytes, ${got.length} orders`);
    const recentSpec: LoadSpec = { method: 'GET', path: recentPath, headers: recentAuth, connections: RECENT.connections, warmupS: RECENT.warmupS, durationS: RECENT.durationS };
    const recentProxy = await window(`GET ${recentPath}`, 'proxy', recentSpec);
    const recentDirect = await window(`GET ${recentPath}`, 'direct', recentSpec);
    await stopServer(server);
    server = undefined;

    // CPU per request (bench/cpu.ts), on a server of its own.
    const cpu = await cpuSection(commit);
    // Automations (bench/automations.ts), on a server of its own.
    const automations = await automationsSection(commit);
    // Import (bench/import.ts), on a server of its own.
    const imported = await importSection(commit);
    // The queued /collect (bench/collect.ts), on a server of its own.
    const collected = await collectSection(commit);

    // 3. Summary.
    const totalSeconds = round((performance.now() - started) / 1000, 1);
    const ratios = Object.fromEntries(
      (['proxy', 'direct'] as const).map((t) => {
        const [noop, insert, upd] = ingest[t];
        const worker = (x: Window) => x.cpuMsPerRequest['workerd Worker+D1'];
        return [
          t,
          {
            updateOrderVsInsert: round(ratio(upd.rps, insert.rps), 3),
            updateOrderVsNoop: round(ratio(upd.rps, noop.rps), 3),
            insertVsNoop: round(ratio(insert.rps, noop.rps), 3),
            cpuBoundUpdateOrderVsInsert: round(ratio(worker(insert), worker(upd)), 3),
          },
        ];
      }),
    ) as Record<Target, { updateOrderVsInsert: number; updateOrderVsNoop: number; insertVsNoop: number; cpuBoundUpdateOrderVsInsert: number }>;

    console.log('\n================================ summary ================================');
    console.log(`ingest: ${INGEST.connections} connections, ${INGEST.durationS} s per route after ${INGEST.warmupS} s warm-up, the same ${Buffer.byteLength(sample)}-byte form body on every route;`);
    console.log('"proxy" = the port npm run dev serves (wrangler\'s proxy workerd in front); "direct" = the workerd that runs the Worker and D1.');
    const label: Record<Target, string> = { proxy: 'proxy ', direct: 'direct' };
    for (const t of ['proxy', 'direct'] as const) {
      const [noop, insert] = ingest[t];
      console.log('');
      table(
        [`route [${label[t]}]`, 'req/s', '× insert', '× noop', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'resp bytes', 'server CPU ms/req', 'Worker+D1 CPU ms/req', 'other load'],
        ingest[t].map((x) => [
          x.route,
          fmt(x.rps, 1),
          fmt(ratio(x.rps, insert.rps), 3),
          fmt(ratio(x.rps, noop.rps), 3),
          fmt(x.p50),
          fmt(x.p99),
          x.requests,
          x.non2xx,
          x.errors,
          x.responseBytes,
          fmt(x.cpuMsPerRequest.total, 3),
          fmt(x.cpuMsPerRequest['workerd Worker+D1'], 3),
          `${fmt(x.otherCpuCores, 2)} cores`,
        ]),
      );
      const r = ratios[t];
      console.log(
        `updateOrder / insert = ${fmt(r.updateOrderVsInsert, 3)} (goal ≥ ${GOAL.updateOrderVsInsert}: ${r.updateOrderVsInsert >= GOAL.updateOrderVsInsert ? 'met' : 'NOT met'});` +
          `  updateOrder / noop = ${fmt(r.updateOrderVsNoop, 3)};  insert / noop = ${fmt(r.insertVsNoop, 3)}`,
      );
      console.log(
        `  if the Worker+D1 workerd alone were the bottleneck (its CPU per request, insert / updateOrder): ${fmt(r.cpuBoundUpdateOrderVsInsert, 3)}`,
      );
    }
    console.log(`orders sent to /api/updateOrder during the load: ${ordersSent.toLocaleString('en')}, each a new order id, over ${CUSTOMERS} customers`);
    const busy = [...ingest.proxy, ...ingest.direct].filter((x) => x.otherCpuCores >= 0.25);
    if (busy.length)
      console.log(
        `caution: other processes took ≥ 0.25 cores during ${busy.map((x) => `${x.route} [${x.target}]`).join(', ')}: ` +
          'req/s ratios swing with that on a small machine; the CPU-per-request ratio above does not.',
      );

    console.log('\nserver CPU per request, by process (ms; from /proc, 10 ms ticks):');
    const all = [...ingest.proxy, ...ingest.direct, recentProxy, recentDirect];
    const roles = [...new Set(all.flatMap((x) => Object.keys(x.cpuMsPerRequest)))].filter((k) => k !== 'total').sort();
    table(
      ['window', ...roles, 'total', 'autocannon'],
      all.map((x) => [`${x.route} [${label[x.target]}]`, ...roles.map((k) => fmt(x.cpuMsPerRequest[k] ?? 0, 3)), fmt(x.cpuMsPerRequest.total, 3), fmt(x.loadGeneratorCpuMsPerRequest, 3)]),
    );

    printCpu(cpu, table);
    printAutomations(automations, table);
    printImport(imported);
    printCollect(collected, table);

    console.log(`\nin-process (Node ${process.version}, better-sqlite3; no HTTP, no workerd, no D1 layer), µs per updateOrder, mean of ${inProcess.requests}:`);
    table(['part', 'µs'], Object.entries(inProcess.usPerRequest).map(([k, v]) => [k, fmt(v, 1)]));
    const u = inProcess.usPerRequest;
    console.log(`statements per updateOrder batch: ${inProcess.statementsPerBatch}; SQLite time of the batch = ${fmt(ratio(u['SQLite, the whole batch'], u['SQLite: the bench single INSERT']), 1)}× the single INSERT`);

    console.log(`\nrecent orders: the site with ${seeded.counts.measuredSiteOrders.toLocaleString('en')} of ${seeded.counts.orders.toLocaleString('en')} orders (${seeded.counts.sites} sites, ${seeded.counts.profiles.toLocaleString('en')} profiles); goal median ≤ ${GOAL.recentMedianMs} ms`);
    const vsGoal = (ms: number) => `${fmt(ms / GOAL.recentMedianMs, 2)}× the goal`;
    table(
      [`GET ${recentPath}`, 'median ms', 'p99 ms', 'req/s', 'non-2xx', 'median vs goal'],
      [
        [`sequential, ${RECENT.sequential} requests [proxy ]`, fmt(seqProxy.p50), fmt(seqProxy.p99), '', 0, vsGoal(seqProxy.p50)],
        [`sequential, ${RECENT.sequential} requests [direct]`, fmt(seqDirect.p50), fmt(seqDirect.p99), '', 0, vsGoal(seqDirect.p50)],
        [`floor: SELECT 1 through D1, sequential [proxy ]`, fmt(floorProxy.p50), fmt(floorProxy.p99), '', 0, `recent = ${round(seqProxy.p50 / floorProxy.p50, 2)}× it`],
        [`floor: SELECT 1 through D1, sequential [direct]`, fmt(floorDirect.p50), fmt(floorDirect.p99), '', 0, `recent = ${round(seqDirect.p50 / floorDirect.p50, 2)}× it`],
        [`autocannon, ${RECENT.connections} connections, ${RECENT.durationS} s [proxy ]`, fmt(recentProxy.p50), fmt(recentProxy.p99), fmt(recentProxy.rps, 1), recentProxy.non2xx, vsGoal(recentProxy.p50)],
        [`autocannon, ${RECENT.connections} connections, ${RECENT.durationS} s [direct]`, fmt(recentDirect.p50), fmt(recentDirect.p99), fmt(recentDirect.rps, 1), recentDirect.non2xx, vsGoal(recentDirect.p50)],
        ['RECENT_ORDERS_SQL alone, better-sqlite3', fmt(seeded.sqliteQueryMs.p50, 3), fmt(seeded.sqliteQueryMs.p99, 3), '', '', ''],
      ],
    );
    console.log(`body: ${bodyBytes.toLocaleString('en')} bytes, ${got.length} orders, newest first: ${newestFirst}`);
    console.log(`EXPLAIN QUERY PLAN RECENT_ORDERS_SQL:\n${seeded.plan.map((d) => `  ${d}`).join('\n')}`);
    if (notes.length) console.log(`\ndisturbances (the window was measured again):\n${notes.map((n) => `  - ${n}`).join('\n')}`);
    console.log(`\nmachine: node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); code ${commit}`);
    console.log(`command: ${COMMAND}; total ${totalSeconds} s`);

    const results = {
      date: new Date().toISOString(),
      command: COMMAND,
      commit,
      machine,
      totalSeconds,
      sdk,
      ingest: { params: { ...INGEST, customers: CUSTOMERS, bodyBytes: Buffer.byteLength(sample), ordersSent }, ...ingest, ratios, goal: GOAL.updateOrderVsInsert },
      inProcess,
      cpu,
      automations,
      import: imported,
      collect: collected,
      recent: {
        seeded: { ...seeded.counts, seedSeconds: seeded.seedSeconds, fileMB: seeded.fileMB, journalMode: seeded.journalMode },
        plan: seeded.plan,
        sqliteQueryMs: seeded.sqliteQueryMs,
        sequential: { proxy: seqProxy, direct: seqDirect },
        floorSelect1: { proxy: floorProxy, direct: floorDirect },
        load: { proxy: recentProxy, direct: recentDirect },
        bodyBytes,
        goalMedianMs: GOAL.recentMedianMs,
      },
      notes,
      failures,
    };
    finish(results, 'figures written to bench/results/latest.json');
  } catch (e) {
    keepLog = true;
    console.error(`\nFAILED: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  } finally {
    if (server) await stopServer(server).catch(() => undefined);
    killAllNow();
    if (keepLog && existsSync(devLog)) {
      // Keep the server's log for the post-mortem, not the 200+ MB database (nor the CPU section's).
      for (const dir of ['state', 'state-cpu', 'state-automations', 'state-import', 'state-collect']) rmSync(join(tmp, dir), { recursive: true, force: true });
      console.error(`server log kept: ${devLog} (wrangler's debug log under ${join(tmp, 'wrangler-logs')})`);
    } else rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
