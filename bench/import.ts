// The import section of `npm run bench` (issue 10's benchmark): `npm run import` of generated
// orders into the local D1, against the running `npm run dev` (through wrangler's proxy, as a
// shop's import would go), beside a bare INSERT of the same rows: one json_each statement per
// batch of the same bodies (bench/worker.ts's /__bench/import-bare), sent with the same
// concurrency. The importer's peak RSS (its own getrusage) shows whether its memory stays flat.
// `npm run bench -- --import` runs this alone.
import { spawn } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';

export const IMPORT = { orders: 200_000, customers: 50_000, batch: 1000, concurrency: 4 };
export const IMPORT_GOAL = { ordersPerSecond: 20_000 };

export interface ImportDeps {
  /** wrangler's proxy (what `npm run dev` serves). */
  base: string;
  root: string;
  tmp: string;
  createSite: (name: string) => { publicKey: string; privateKey: string };
  basic: (publicKey: string, privateKey: string) => string;
  log: (msg: string) => void;
}

const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : NaN);

/** Order i: customer i mod 50,000, a date in 2021–2025, two lines. */
function order(i: number) {
  const c = i % IMPORT.customers;
  const day = new Date(Date.UTC(2021, 0, 1) + (i % 1800) * 86_400_000 + (i % 86_400) * 1000).toISOString();
  const items = [
    { sku: `SKU-${i % 997}`, name: 'Linen shirt', category: 'Men/Shirts/Linen', quantity: 1 + (i % 3), unit_price: 39.9 },
    { sku: `SKU-${i % 389}`, name: 'Socks', category: 'Men/Socks', quantity: 2, unit_price: 4.5 },
  ];
  return {
    customer_email: `customer${c}@history.test`,
    customer_firstname: `First${c}`,
    customer_name: `Last${c}`,
    order_idorder: `HIST-${String(i).padStart(7, '0')}`,
    order_state: [20, 50, 100, 100, 0][i % 5],
    order_amount: round(items.reduce((a, l) => a + l.quantity * l.unit_price, 0)),
    order_crea_dt: `${day.slice(0, 10)} ${day.slice(11, 19)}`,
    items,
  };
}

const CSV_COLUMNS = ['customer_email', 'customer_firstname', 'customer_name', 'order_idorder', 'order_state', 'order_amount', 'order_crea_dt', 'items'] as const;
const cell = (v: unknown) => {
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The generated export, as a shop's CSV: one order a row, its lines a JSON cell. */
async function writeCsv(path: string) {
  const out = createWriteStream(path);
  out.write(`${CSV_COLUMNS.join(',')}\n`);
  for (let i = 0; i < IMPORT.orders; i++) {
    const o = order(i);
    if (!out.write(`${CSV_COLUMNS.map((c) => cell(o[c])).join(',')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

/** The same rows, as the bodies the importer sends (for the bare INSERT). */
function* bodies() {
  for (let b = 0; b * IMPORT.batch < IMPORT.orders; b++) {
    const rows = [];
    for (let i = b * IMPORT.batch; i < Math.min(IMPORT.orders, (b + 1) * IMPORT.batch); i++) rows.push({ data: order(i) });
    yield JSON.stringify({ import: 'imp_benchbare0000', file: 'bare', batch: b, first_row: b * IMPORT.batch + 1, rows });
  }
}

/** The bare INSERT: the same bodies to /__bench/import-bare, IMPORT.concurrency in flight. */
async function bare(base: string, auth: string) {
  const it = bodies();
  let rows = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let next = it.next(); !next.done; next = it.next()) {
      const res = await fetch(`${base}/__bench/import-bare`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: next.value });
      if (!res.ok) throw new Error(`/__bench/import-bare: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: IMPORT.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  // What the table holds (D1's meta.changes of an INSERT … SELECT is not the row count).
  rows = ((await (await fetch(`${base}/__bench/import-bare`, { headers: { authorization: auth } })).json()) as { rows: number }).rows;
  if (rows !== IMPORT.orders) throw new Error(`the bare INSERT holds ${rows} rows, not ${IMPORT.orders}`);
  return { rows, seconds: round(seconds, 1), rowsPerSecond: round(rows / seconds, 0) };
}

/** `npm run import` as a shop runs it, with --stats-json for its own figures. */
async function runImport(d: ImportDeps, csv: string, site: { publicKey: string; privateKey: string }) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(d.root, 'node_modules/tsx/dist/cli.mjs'), join(d.root, 'scripts/import.ts'), '--orders', csv, '--endpoint', d.base, '--concurrency', String(IMPORT.concurrency), '--stats-json'], {
    cwd: d.root,
    env: { ...process.env, SHOPBEACON_PUBLIC_KEY: site.publicKey, SHOPBEACON_PRIVATE_KEY: site.privateKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  const seconds = (performance.now() - t0) / 1000;
  const stats = stdout
    .trim()
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l) as { exit_code: number; max_rss_bytes: number; files: { rows: number; taken: number; rejected: number; seconds: number; rows_per_s: number }[] };
      } catch {
        return null;
      }
    })
    .filter((x) => x && 'max_rss_bytes' in x)
    .at(-1);
  if (code !== 0 || !stats) throw new Error(`npm run import exited ${code}:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  const f = stats.files[0];
  return { rows: f.rows, taken: f.taken, rejected: f.rejected, seconds: round(seconds, 1), importerSeconds: round(f.seconds, 1), ordersPerSecond: round(f.taken / f.seconds, 0), peakRssMB: round(stats.max_rss_bytes / 2 ** 20, 1) };
}

export async function measureImport(d: ImportDeps) {
  const t0 = performance.now();
  const csv = join(d.tmp, 'bench-orders.csv');
  const bytes = await writeCsv(csv);
  d.log(`import: ${IMPORT.orders} orders of ${IMPORT.customers} customers written to ${csv} (${round(bytes / 2 ** 20, 1)} MB)`);
  const site = d.createSite('bench import');
  const imported = await runImport(d, csv, site);
  d.log(`import: npm run import took ${imported.taken} of ${imported.rows} orders in ${imported.importerSeconds} s: ${imported.ordersPerSecond} orders/s, peak RSS ${imported.peakRssMB} MB`);
  // What the Worker says it took, and what D1 holds (the import's own count, and the orders listed).
  const auth = { authorization: d.basic(site.publicKey, site.privateKey) };
  const imports = ((await (await fetch(`${d.base}/api/imports`, { headers: auth })).json()) as { imports: { taken: number; rejected: number; status: string }[] }).imports;
  const baseline = await bare(d.base, d.basic(site.publicKey, site.privateKey));
  d.log(`import: the bare INSERT of the same rows took ${baseline.rows} in ${baseline.seconds} s: ${baseline.rowsPerSecond} rows/s`);
  return {
    seconds: round((performance.now() - t0) / 1000, 1),
    params: IMPORT,
    goal: IMPORT_GOAL,
    csvMB: round(bytes / 2 ** 20, 1),
    imported,
    workerSays: imports[0],
    bare: baseline,
    vsBare: round(imported.ordersPerSecond / baseline.rowsPerSecond, 3),
  };
}

export function printImport(f: Awaited<ReturnType<typeof measureImport>>) {
  const i = f.imported;
  console.log(`\nimport (${f.params.orders.toLocaleString('en-US')} generated orders of ${f.params.customers.toLocaleString('en-US')} customers, 2 lines each, a ${f.csvMB} MB CSV; batches of ${f.params.batch}, ${f.params.concurrency} in flight, through npm run dev's proxy):`);
  console.log(`npm run import: ${i.taken} taken, ${i.rejected} rejected in ${i.importerSeconds} s = ${i.ordersPerSecond} orders/s (goal ≥ ${f.goal.ordersPerSecond}: ${i.ordersPerSecond >= f.goal.ordersPerSecond ? 'met' : 'NOT met'}); the importer's peak RSS ${i.peakRssMB} MB`);
  console.log(`  the Worker's count: ${f.workerSays?.taken} taken, ${f.workerSays?.rejected} rejected (${f.workerSays?.status})`);
  console.log(`bare INSERT of the same rows (one json_each statement per batch): ${f.bare.rowsPerSecond} rows/s; import / bare = ${f.vsBare}`);
}
