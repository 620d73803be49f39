// The CLI on CSV and NDJSON files against the fake Worker: what each cell becomes, the rows
// refused (by the Worker and by the CLI) in the rejects file under their row numbers, that file
// imported again once fixed, and a second import of a finished file (upserts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeWorker, keyOf } from './fake-worker';
import { csvLine, keys, readCsv, readNdjson, runCli, tmp, writeCsv } from './helpers';

let fake: FakeWorker;
beforeEach(async () => {
  fake = await FakeWorker.start();
});
afterEach(() => fake.close());

const HEADER = [
  'order_idorder',
  'order_state',
  'order_amount',
  'order_crea_dt',
  'customer_email',
  'customer_name',
  'customer_isoptin',
  'add_tag',
  'custom_fields[327]',
  'product_attributes',
  'items',
  'add_order_tag',
  '_note',
];
const ITEMS = '[{"sku":"TS-1","name":"T-shirt","category":"Men/Tops/T-shirts","quantity":2,"unit_price":19.9}]';
/** Rows 1–11 of orders.csv; 4, 5, 7 and 9 are refused, 8 is blank. */
const ROWS = [
  ['O1', '20', '158.31', '2014-06-21 14:31:08', 'john@doe.com', 'Doe, "Johnny"\nthe second', '1', 'vip|wholesale', 'gold', 'color:red;size:XL|color:blue', ITEMS, 'web', 'a note'],
  ['O2', '10', '10', '2015-01-02 03:04:05', 'ann@x.com', 'Ann', '', '', '', '[["size:s"],["type:mug"]]', '', '', ''],
  ['O3', '0', '1', '2016-01-02 03:04:05', '', '', '', '', '', '', '', '', ''],
  ['O4', '20', '5', '2017-01-02 03:04:05', 'bad@x.com', 'BAD', '', '', '', '', '', '', 'worker refuses'],
  ['O5', '20', '5', '2017-01-02 03:04:05', 'json@x.com', 'Jay', '', '', '', '', '[{"sku":', '', 'not JSON'],
  ['O6', '20', '6', '2017-01-02 03:04:05', 'six@x.com', '', '', '', '', '', '', '', ''],
  ['O7', '20', 'BAD', '2017-01-02 03:04:05', 'seven@x.com', '', '', '', '', '', '', '', ''],
  [''],
  ['O9', '20', '9'],
  ['O10', '50', '10', '2018-01-02 03:04:05', 'ten@x.com', '', '-1', '', '', '', '', 'a|b', ''],
  ['O11', '100', '11', '2018-01-02 03:04:05', 'eleven@x.com', '', '', '', '', '', '', '', ''],
];

describe('CSV', () => {
  it('maps every kind of cell, writes the refused rows beside the input, and imports them once fixed', async () => {
    const dir = tmp();
    const input = join(dir, 'orders.csv');
    writeCsv(input, HEADER, ROWS, { eol: '\r\n', bom: true });
    const run = await runCli(['--orders', input, '--endpoint', fake.url, ...keys, '--batch-size', '3']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rejectsPath = join(dir, 'orders.rejects.csv');
    expect(run.stdout).toMatch(new RegExp(`^orders\\.csv: 10 rows, 6 taken, 4 rejected \\(${rejectsPath}\\), [\\d.]+ s, \\d+ rows/s; checkpoint deleted\\n$`));
    expect(existsSync(`${input}.import-checkpoint.json`)).toBe(false);

    const byRow = new Map(fake.taken.map((t) => [t.row, t.data]));
    expect([...byRow.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 6, 10, 11]);
    // The first 7 columns go as the strings they are (the name with its comma, quotes, line break).
    const asIs = Object.fromEntries(HEADER.slice(0, 7).map((name, i) => [name, ROWS[0][i]]));
    expect(asIs.customer_name).toBe('Doe, "Johnny"\nthe second');
    expect(byRow.get(1)).toEqual({
      ...asIs,
      add_tag: ['vip', 'wholesale'],
      custom_fields: { '327': 'gold' },
      product_attributes: [['color:red', 'size:XL'], ['color:blue']],
      items: JSON.parse(ITEMS),
      add_order_tag: ['web'],
    });
    expect(byRow.get(2)).toEqual({ order_idorder: 'O2', order_state: '10', order_amount: '10', order_crea_dt: '2015-01-02 03:04:05', customer_email: 'ann@x.com', customer_name: 'Ann', product_attributes: [['size:s'], ['type:mug']] });
    expect(byRow.get(3)).toEqual({ order_idorder: 'O3', order_state: '0', order_amount: '1', order_crea_dt: '2016-01-02 03:04:05' });
    expect(byRow.get(10)).toMatchObject({ customer_isoptin: '-1', add_order_tag: ['a', 'b'] });

    // A batch is a run of consecutive rows, numbered first_row + i by the Worker: rows 5 (a
    // local reject) and 8 (blank) and 9 (a local reject) end batches.
    expect(fake.batchRequests.map((r) => r.rows)).toEqual([[1, 2, 3], [4], [6, 7], [10, 11]]);
    expect(fake.requests.at(-1)).toMatchObject({ done: true, batch: 4, first_row: 12, rows: [] });

    // The rejects file: a BOM (the input had one), the header with _row and _errors, the rows'
    // own cells (quotes, comma and line break kept), in row order.
    expect(readFileSync(rejectsPath).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rejects = readCsv(rejectsPath);
    expect(rejects[0]).toEqual([...HEADER, '_row', '_errors']);
    expect(rejects.slice(1).map((r) => [r[0], r.at(-2), r.at(-1)])).toEqual([
      ['O4', '4', 'data[customer_name]: is BAD'],
      ['O5', '5', expect.stringMatching(/^data\[items\]: not valid JSON \(.+\)$/)],
      ['O7', '7', 'data[order_amount]: is BAD'],
      ['O9', '9', 'row: has 3 cells; the header has 13'],
    ]);
    expect(rejects[1].slice(0, HEADER.length)).toEqual(ROWS[3]);
    expect(rejects[4].slice(0, 3)).toEqual(ROWS[8]);

    // Fixed in place (its _row and _errors left as they are: ignored), it imports cleanly.
    const fixed = rejects.slice(1).map((r) => {
      const cells = r.slice();
      if (cells[0] === 'O4') cells[5] = 'Good';
      if (cells[0] === 'O5') cells[10] = ITEMS;
      if (cells[0] === 'O7') cells[2] = '7.00';
      if (cells[0] === 'O9') cells.splice(3, 2, '2019-01-02 03:04:05', 'nine@x.com');
      return cells;
    });
    writeFileSync(rejectsPath, rejects[0].map((c) => c).join(',') + '\n' + fixed.map((r) => csvLine(r)).join(''));
    const again = await runCli(['--orders', rejectsPath, '--endpoint', fake.url, ...keys]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^orders\.rejects\.csv: 4 rows, 4 taken, 0 rejected, /);
    expect(existsSync(join(dir, 'orders.rejects.rejects.csv'))).toBe(false);
    expect([...fake.held.keys()].sort()).toEqual(['O1', 'O10', 'O11', 'O2', 'O3', 'O4', 'O5', 'O6', 'O7', 'O9'].map((id) => `order:${id}`).sort());
    expect(fake.held.get('order:O5')!.items).toEqual(JSON.parse(ITEMS));
    expect(fake.held.get('order:O4')!).not.toHaveProperty('_row');
  });

  it('imports customers before orders, each under its own import id; a second import of the same files is a new import of the same rows', async () => {
    const dir = tmp();
    const customers = join(dir, 'customers.csv');
    const orders = join(dir, 'orders.csv');
    writeCsv(customers, ['customer_email', 'external_id', 'customer_firstname', 'add_tag'], [
      ['a@x.com', 'C1', 'Ann', 'vip'],
      ['b@x.com', 'C2', 'Bob', ''],
    ]);
    writeCsv(orders, ['order_idorder', 'order_state', 'order_amount', 'order_crea_dt', 'customer_email'], [['O1', '20', '3', '2020-01-01 00:00:00', 'a@x.com']]);
    const args = ['--orders', orders, '--customers', customers, '--endpoint', fake.url, ...keys];
    const first = await runCli(args);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')[0]).toMatch(/^customers\.csv: 2 rows, 2 taken, 0 rejected/);
    expect(first.stdout.split('\n')[1]).toMatch(/^orders\.csv: 1 row, 1 taken, 0 rejected, .*checkpoint deleted$/);
    expect(fake.requests.map((r) => [r.kind, r.done])).toEqual([
      ['customers', false],
      ['customers', true],
      ['orders', false],
      ['orders', true],
    ]);
    const ids = new Set(fake.requests.map((r) => r.import));
    expect(ids.size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^imp_[A-Za-z0-9_-]{16}$/);
    const held = new Map(fake.held);

    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(new Set(fake.requests.map((r) => r.import)).size).toBe(4);
    expect(fake.taken).toHaveLength(6);
    expect(fake.held).toEqual(held);
    expect(fake.held.get(keyOf('customers', { customer_email: 'a@x.com' }))).toEqual({ customer_email: 'a@x.com', external_id: 'C1', customer_firstname: 'Ann', add_tag: ['vip'] });
  });
});

describe('NDJSON', () => {
  it('sends each line as it is without its _ keys, refuses lines that are not JSON objects, and imports the fixed rejects', async () => {
    const dir = tmp();
    const input = join(dir, 'customers.ndjson');
    const lines = [
      '{"data":{"customer_email":"a@x.com","custom_fields":{"327":"v"},"add_tag":["vip"]},"_note":"dropped"}',
      '',
      '{"data":{"customer_email":"b@x.com","customer_name":"BAD"}}',
      '{"data":{"customer_email":"c@x.com"',
      '[{"data":{}}]',
      '{"data":{"customer_email":"d@x.com","customer_isoptin":1},"request":{"order_idorder":"x"}}',
    ];
    writeFileSync(input, lines.join('\r\n') + '\r\n');
    const run = await runCli(['--customers', input, '--endpoint', fake.url, ...keys]);
    expect(run.code).toBe(0);
    const rejectsPath = join(dir, 'customers.rejects.ndjson');
    expect(run.stdout).toMatch(new RegExp(`^customers\\.ndjson: 5 rows, 2 taken, 3 rejected \\(${rejectsPath}\\)`));
    expect(fake.taken.map((t) => [t.row, t.data])).toEqual([
      [1, { customer_email: 'a@x.com', custom_fields: { '327': 'v' }, add_tag: ['vip'] }],
      [6, { customer_email: 'd@x.com', customer_isoptin: 1 }],
    ]);
    expect(fake.batchRequests.map((r) => r.rows)).toEqual([[1], [3], [6]]);

    const rejects = readNdjson(rejectsPath);
    expect(rejects).toEqual([
      { data: { customer_email: 'b@x.com', customer_name: 'BAD' }, _row: 3, _errors: 'data[customer_name]: is BAD' },
      { _row: 4, _errors: expect.stringMatching(/^line: not valid JSON/), _line: '{"data":{"customer_email":"c@x.com"' },
      { _row: 5, _errors: 'line: not a JSON object ({"data": {…}})', _line: '[{"data":{}}]' },
    ]);

    const fixed = [
      { ...rejects[0], data: { customer_email: 'b@x.com', customer_name: 'Bee' } },
      { data: { customer_email: 'c@x.com' }, _row: 4 },
      { data: { customer_email: 'e@x.com' } },
    ];
    const fixedPath = join(dir, 'fixed.jsonl');
    writeFileSync(fixedPath, fixed.map((o) => JSON.stringify(o)).join('\n'));
    const again = await runCli(['--customers', fixedPath, '--endpoint', fake.url, ...keys]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^fixed\.jsonl: 3 rows, 3 taken, 0 rejected/);
    expect([...fake.held.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map((c) => `customer:${c}@x.com`));
  });
});
