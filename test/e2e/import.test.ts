// `npm run import` against the real `npm run dev`: CSV and NDJSON exports the test writes, the
// rows refused named in the rejects file, an import run twice that changes nothing, and one
// killed halfway then resumed that ends with exactly the file's rows.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { basicAuth, d1Execute, root, runSite, type SiteKeys, siteJson } from './global-setup';

type Json = Record<string, any>;
const dir = mkdtempSync(join(tmpdir(), 'shopbeacon-import-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = () => inject('baseUrl');
const newSite = (name: string): SiteKeys => siteJson(runSite(['create', '--name', name, '--json'], inject('stateDir')));
const api = async (site: SiteKeys, path: string) => (await (await fetch(`${base()}${path}`, { headers: { authorization: basicAuth(site.publicKey, site.privateKey) } })).json()) as Json;
const TSX = join(root, 'node_modules/tsx/dist/cli.mjs');
const env = (site: SiteKeys) => ({ ...process.env, SHOPBEACON_ENDPOINT: base(), SHOPBEACON_PUBLIC_KEY: site.publicKey, SHOPBEACON_PRIVATE_KEY: site.privateKey });

function runImport(site: SiteKeys, args: string[]) {
  const r = spawnSync(process.execPath, [TSX, join(root, 'scripts/import.ts'), ...args, '--stats-json'], { cwd: root, env: env(site), encoding: 'utf8', timeout: 120_000 });
  const stats = r.stdout.trim().split('\n').at(-1) ?? '';
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, stats: stats.startsWith('{') ? (JSON.parse(stats) as Json) : null };
}

const d1 = (sqlText: string) => d1Execute(sqlText, inject('stateDir'));

const csv = (rows: (string | number)[][]) => rows.map((r) => r.map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replaceAll('"', '""')}"` : c)).join(',')).join('\r\n') + '\r\n';

describe('npm run import against npm run dev', () => {
  it('imports customers and orders from CSV, names the refused rows in the rejects file, and a second run changes nothing', async () => {
    const site = newSite('import e2e');
    const customers = join(dir, 'customers.csv');
    writeFileSync(
      customers,
      '\ufeff' +
        csv([
          ['customer_email', 'external_id', 'customer_firstname', 'customer_name', 'add_tag', 'customer_isoptin'],
          ['ann@shop.example', 'C-1', 'Ann', 'Smith, Jr.', 'vip|wholesale', '1'],
          ['bob@shop.example', '', 'Bob', '', '', '1'],
          ['not-an-email', '', 'Bad', '', '', ''],
        ]),
    );
    const orders = join(dir, 'orders.csv');
    const items = (cat: string) => JSON.stringify([{ sku: 'TS-1', name: 'T-shirt', category: cat, quantity: 2, unit_price: 19.9 }]);
    writeFileSync(
      orders,
      csv([
        ['customer_email', 'order_idorder', 'order_state', 'order_amount', 'order_crea_dt', 'items', 'add_order_tag'],
        ['ann@shop.example', 'OLD-1', '100', '39.80', '2023-05-01 10:00:00', items('Men/Tops/T-shirts'), 'first'],
        ['bob@shop.example', 'OLD-2', '100', '39.80', '2023-06-01 10:00:00', items('Women/Tops'), ''],
        ['bob@shop.example', 'OLD-3', '7', '10', '2023-06-02 10:00:00', '', ''],
      ]),
    );
    const first = runImport(site, ['--customers', customers, '--orders', orders]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stats!.files.map((f: Json) => [f.rows, f.taken, f.rejected])).toEqual([
      [3, 2, 1],
      [3, 2, 1],
    ]);
    const rejects = readFileSync(join(dir, 'orders.rejects.csv'), 'utf8');
    expect(rejects).toContain('_row');
    expect(rejects).toMatch(/OLD-3.*3,"?data\[order_state\]:/s);
    expect(readFileSync(join(dir, 'customers.rejects.csv'), 'utf8')).toMatch(/not-an-email.*3,"?data\[customer_email\]:/s);

    const { imports } = await api(site, '/api/imports');
    expect(imports.map((i: Json) => [i.kind, i.taken, i.rejected, i.status])).toEqual([
      ['orders', 2, 1, 'done'],
      ['customers', 2, 1, 'done'],
    ]);
    const { orders: listed } = await api(site, '/api/orders/recent');
    const old1 = listed.find((o: Json) => o.order_idorder === 'OLD-1');
    expect(old1).toMatchObject({ source: 'import', order_crea_dt: '2023-05-01 10:00:00', received_at: '2023-05-01T10:00:00.000Z', items: [{ sku: 'TS-1', quantity: 2 }], order_tags: ['first'] });
    const [ann] = d1(`SELECT tags, firstname, name, source FROM profiles WHERE site_id = ${site.siteId} AND email = 'ann@shop.example'`);
    expect(ann).toEqual({ tags: '["vip","wholesale","registration","Men","Tops","T-shirts"]', firstname: 'Ann', name: 'Smith, Jr.', source: 'import' });
    expect(d1(`SELECT count(*) AS n FROM triggers WHERE site_id = ${site.siteId} AND type LIKE 'order.%'`)).toEqual([{ n: 0 }]);

    const snapshot = () => d1(`SELECT idorder, version, updated_at FROM orders WHERE site_id = ${site.siteId} ORDER BY idorder`).concat(d1(`SELECT email, version, updated_at FROM profiles WHERE site_id = ${site.siteId} ORDER BY id`));
    const before = snapshot();
    const second = runImport(site, ['--customers', customers, '--orders', orders]);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(snapshot()).toEqual(before);
  });

  it('takes NDJSON, the bodies of updateOrder', async () => {
    const site = newSite('import e2e ndjson');
    const file = join(dir, 'orders.ndjson');
    const line = (i: number, extra: Json = {}) => JSON.stringify({ data: { customer_email: `n${i}@shop.example`, order_idorder: `ND-${i}`, order_state: 20, order_amount: 5, order_crea_dt: '2022-01-01 00:00:00', ...extra } });
    writeFileSync(file, [line(1), '', line(2, { order_ammount: 5 }), line(3)].join('\n') + '\n');
    const r = runImport(site, ['--orders', file]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stats!.files[0]).toMatchObject({ rows: 3, taken: 2, rejected: 1 });
    const rejected = readFileSync(join(dir, 'orders.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(rejected).toEqual([expect.objectContaining({ _row: 3, _errors: expect.stringContaining('data[order_ammount]') })]);
  });

  it('killed halfway and resumed, ends with exactly the rows of the file, each batch counted once', async () => {
    const site = newSite('import e2e resume');
    const file = join(dir, 'big.csv');
    const N = 8000;
    const rows: (string | number)[][] = [['customer_email', 'order_idorder', 'order_state', 'order_amount', 'order_crea_dt']];
    for (let i = 0; i < N; i++) rows.push([`big${i % 1500}@shop.example`, `BIG-${i}`, 100, 10 + (i % 90), '2021-03-04 05:06:07']);
    writeFileSync(file, csv(rows));
    const checkpoint = `${file}.import-checkpoint.json`;
    // Slowed down (--rate), so the kill lands in the middle.
    // The importer itself, not tsx's CLI (which runs it in a child of its own that a SIGKILL of
    // the CLI leaves running to the end): node with tsx's loader.
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/import.ts'), '--orders', file, '--batch-size', '250', '--rate', '2500'], { cwd: root, env: env(site), stdio: 'ignore' });
    const done = new Promise((r) => child.on('exit', r));
    const deadline = Date.now() + 60_000;
    let acknowledged = 0;
    while (Date.now() < deadline) {
      try {
        acknowledged = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { rows_done?: number; rows?: number }).rows_done ?? 0;
      } catch {
        acknowledged = 0;
      }
      if (acknowledged >= 2000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await done;
    expect(acknowledged).toBeGreaterThanOrEqual(2000);
    expect(acknowledged).toBeLessThan(N);
    const resumed = runImport(site, ['--orders', file, '--resume']);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(d1(`SELECT count(*) AS n, count(DISTINCT idorder) AS ids FROM orders WHERE site_id = ${site.siteId}`)).toEqual([{ n: N, ids: N }]);
    const { imports } = await api(site, '/api/imports');
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({ taken: N, rejected: 0, batches: N / 250, status: 'done' });
  });
});
