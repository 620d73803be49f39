// The CLI's modules one by one, in process: the mapping of a cell, the grouping into batches,
// the rate limit, the rejects file, the checkpoint's checks, the reader.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Parsed, units } from '../../scripts/import/batches';
import { resumeProblem, type Checkpoint } from '../../scripts/import/checkpoint';
import { compileHeader, HeaderError, mapCsvRow, mapNdjsonLine, splitAttributes, splitList } from '../../scripts/import/mapping';
import { parseOptions, UsageError } from '../../scripts/import/options';
import { progressLine } from '../../scripts/import/progress';
import { TokenBucket } from '../../scripts/import/rate';
import { MAX_RECORD_BYTES, openInput } from '../../scripts/import/reader';
import { RejectsFile } from '../../scripts/import/rejects';
import { describeProblem, jsonBody, retryAfterMs } from '../../scripts/import/sender';
import { tmp } from './helpers';

describe('mapping', () => {
  const header = ['customer_email', 'add_tag', 'product_attributes', 'items', 'custom_fields[327]', 'request[order_idorder]', '_note', 'order_amount'];
  const columns = compileHeader(header);
  const map = (cells: string[]) => mapCsvRow(columns, cells);

  it('maps lists, attributes, JSON, custom fields and request, and leaves empty cells out', () => {
    expect(map(['a@x.com', 'vip| wholesale|', 'color:red;size:XL|color:blue', '[{"sku":"TS-1","quantity":2}]', 'v', 'O1', 'note', '12.50'])).toEqual({
      t: 'row',
      body: {
        data: {
          customer_email: 'a@x.com',
          add_tag: ['vip', 'wholesale'],
          product_attributes: [['color:red', 'size:XL'], ['color:blue']],
          items: [{ sku: 'TS-1', quantity: 2 }],
          custom_fields: { '327': 'v' },
          order_amount: '12.50',
        },
        request: { order_idorder: 'O1' },
      },
    });
    expect(map(['a@x.com', '', '', '', '', '', 'x', ''])).toEqual({ t: 'row', body: { data: { customer_email: 'a@x.com' } } });
    expect(map(['', '', '[["a:b"],[]]', '', '', '', '', ''])).toEqual({ t: 'row', body: { data: { product_attributes: [['a:b'], []] } } });
  });

  it('keeps every value as the string it is', () => {
    expect(map([' A@X.com ', '', '', '', '', '', '', '0012'])).toEqual({ t: 'row', body: { data: { customer_email: ' A@X.com ', order_amount: '0012' } } });
  });

  it('rejects what it cannot map: bad JSON (each field), a row of the wrong width', () => {
    const r = map(['a@x.com', '', '[oops', '{"sku":', '', '', '', '']);
    expect(r.t).toBe('reject');
    expect(r.t === 'reject' && r.errors.map((e) => e.field)).toEqual(['data[product_attributes]', 'data[items]']);
    expect(r.t === 'reject' && r.errors[0].reason).toMatch(/^not valid JSON/);
    expect(map(['a@x.com', 'x'])).toEqual({ t: 'reject', errors: [{ field: 'row', reason: 'has 2 cells; the header has 8' }] });
    expect(map([''])).toEqual({ t: 'blank' });
    expect(map(['', '', '', '', '', '', '', ''])).toEqual({ t: 'blank' });
  });

  it('refuses a header it cannot map', () => {
    expect(() => compileHeader(['customer_email', 'customer_email'])).toThrow(HeaderError);
    expect(() => compileHeader(['customer_email', ''])).toThrow(/column 2 has no name/);
    expect(() => compileHeader(['data[customer_email]'])).toThrow(/brackets are only for/);
    expect(() => compileHeader(['custom_fields[__proto__]'])).toThrow(/__proto__/);
    expect(compileHeader([' customer_email ', '_row', 'customer_nmae'])).toEqual([{ t: 'text', name: 'customer_email' }, { t: 'skip' }, { t: 'text', name: 'customer_nmae' }]);
  });

  it('splits lists and attributes', () => {
    expect(splitList('a||b | c')).toEqual(['a', 'b', 'c']);
    expect(splitAttributes('k:v;;x:y||z:w')).toEqual([['k:v', 'x:y'], [], ['z:w']]);
  });

  it('maps NDJSON lines, without their _ keys', () => {
    expect(mapNdjsonLine('{"data":{"customer_email":"a@x.com"},"_row":3,"_errors":"x"}')).toEqual({ t: 'row', body: { data: { customer_email: 'a@x.com' } } });
    expect(mapNdjsonLine('  ')).toEqual({ t: 'blank' });
    expect(mapNdjsonLine('{"data":')).toMatchObject({ t: 'reject', errors: [{ field: 'line' }] });
    expect(mapNdjsonLine('[1]')).toMatchObject({ t: 'reject', errors: [{ field: 'line', reason: 'not a JSON object ({"data": {…}})' }] });
  });
});

describe('batches', () => {
  const rec = (row: number, t: 'row' | 'blank' | 'reject'): Parsed =>
    t === 'row' ? { row, t, body: { data: { n: row } }, original: String(row) } : t === 'blank' ? { row, t, original: '' } : { row, t, errors: [{ field: 'x', reason: 'y' }], original: String(row) };
  async function* from(list: Parsed[]) {
    yield* list;
  }
  const shape = async (list: Parsed[], o = { batchSize: 3, firstBatch: 0, skipThrough: 0 }) => {
    const out = [];
    for await (const u of units(from(list), o)) out.push({ batch: u.batch, rows: u.rows.map((r) => r.row), local: u.local.map((l) => l.row), last: u.lastRow });
    return out;
  };
  const file = [rec(1, 'row'), rec(2, 'row'), rec(3, 'row'), rec(4, 'row'), rec(5, 'reject'), rec(6, 'blank'), rec(7, 'row'), rec(8, 'row'), rec(9, 'blank')];

  it('cuts a batch at its size and at every gap (a reject or blank row), so rows of a batch are consecutive', async () => {
    expect(await shape(file)).toEqual([
      { batch: 0, rows: [1, 2, 3], local: [], last: 3 },
      { batch: 1, rows: [4], local: [], last: 4 },
      { batch: 2, rows: [7, 8], local: [5], last: 8 },
      { batch: null, rows: [], local: [], last: 9 },
    ]);
  });

  it('forms the same batches again from a checkpoint boundary', async () => {
    expect(await shape(file, { batchSize: 3, firstBatch: 2, skipThrough: 4 })).toEqual([
      { batch: 2, rows: [7, 8], local: [5], last: 8 },
      { batch: null, rows: [], local: [], last: 9 },
    ]);
  });

  it('commits a long run of rejected rows as it goes', async () => {
    const rejects = Array.from({ length: 7 }, (_, i) => rec(i + 1, 'reject'));
    expect((await shape(rejects)).map((u) => u.local)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });
});

describe('rate', () => {
  it('lets one batch go at once, then N rows a second', () => {
    let now = 0;
    const bucket = new TokenBucket(100, 50, () => now);
    expect(bucket.reserve(50)).toBe(0);
    expect(bucket.reserve(50)).toBeCloseTo(500);
    expect(bucket.reserve(50)).toBeCloseTo(1000); // queued behind the one before
    now = 1000;
    expect(bucket.reserve(50)).toBeCloseTo(500);
  });
});

describe('rejects file', () => {
  it('writes the header, _row and _errors, quotes as RFC 4180, keeps a BOM, and is cut back on resume', () => {
    const path = join(tmp(), 'x.rejects.csv');
    const header = ['customer_email', '_row', 'customer_name', '_errors'];
    const f = new RejectsFile(path, 'csv', header, true);
    f.write([{ row: 2, errors: [{ field: 'data[customer_name]', reason: 'is "bad", really' }], original: JSON.stringify(['a@x.com', '9', 'Doe, "J"\nline 2', 'old']) }]);
    const first = f.bytes();
    f.write([{ row: 5, errors: [{ field: 'row', reason: 'short' }], original: JSON.stringify(['b@x.com']) }]);
    f.close();
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(
      '\ufeffcustomer_email,customer_name,_row,_errors\r\n' + 'a@x.com,"Doe, ""J""\nline 2",2,"data[customer_name]: is ""bad"", really"\r\n' + 'b@x.com,,5,row: short\r\n',
    );
    expect(statSync(path).size).toBe(Buffer.byteLength(text));
    const resumed = new RejectsFile(path, 'csv', header, true, first);
    resumed.close();
    expect(statSync(path).size).toBe(first);
    new RejectsFile(path, 'csv', header, true).close(); // a new import: the old rejects go
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, 'x');
    expect(() => new RejectsFile(path, 'csv', header, true, first)).toThrow(/is shorter \(1 bytes\), and the checkpoint counts/);
  });

  it('writes NDJSON rejects as the object plus _row and _errors', () => {
    const path = join(tmp(), 'x.rejects.ndjson');
    const f = new RejectsFile(path, 'ndjson', null, false);
    f.write([
      { row: 1, errors: [{ field: 'data[a]', reason: 'r' }], original: '{"data":{"a":"BAD"},"_row":9}' },
      { row: 2, errors: [{ field: 'line', reason: 'not valid JSON' }], original: '{oops' },
    ]);
    f.close();
    expect(readFileSync(path, 'utf8')).toBe('{"data":{"a":"BAD"},"_row":1,"_errors":"data[a]: r"}\n{"_row":2,"_errors":"line: not valid JSON","_line":"{oops"}\n');
  });
});

describe('checkpoint', () => {
  const cp = { kind: 'orders', size: 10, mtime_ms: 1000, endpoint: 'http://w', public_key: 'pk', batch_size: 1000 } as Checkpoint;
  const now = { kind: 'orders' as const, size: 10, mtimeMs: 1000, endpoint: 'http://w', publicKey: 'pk' };
  it('says why a checkpoint cannot be resumed', () => {
    expect(resumeProblem(cp, now)).toBeNull();
    expect(resumeProblem(cp, { ...now, size: 11 })).toMatch(/file changed/);
    expect(resumeProblem(cp, { ...now, mtimeMs: 2000 })).toMatch(/file changed/);
    expect(resumeProblem(cp, { ...now, kind: 'customers' })).toMatch(/--customers/);
    expect(resumeProblem(cp, { ...now, endpoint: 'http://other' })).toMatch(/import into/);
    expect(resumeProblem(cp, { ...now, batchSize: 500 })).toMatch(/--batch-size 1000/);
  });
});

describe('sender helpers', () => {
  it('builds the batch body as one JSON document', () => {
    const body = jsonBody({ import: 'imp_x', file: 'é.csv', batch: 3, first_row: 7 }, [{ json: '{"data":{"a":"ü"}}' }, { json: '{"data":{}}' }]);
    expect(JSON.parse(body.toString('utf8'))).toEqual({ import: 'imp_x', file: 'é.csv', batch: 3, first_row: 7, rows: [{ data: { a: 'ü' } }, { data: {} }] });
    expect(JSON.parse(jsonBody({ done: true }, []).toString())).toEqual({ done: true, rows: [] });
  });
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(null)).toBe(1000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
  });
  it("prints the Worker's problem with its fields", () => {
    expect(describeProblem(400, { ok: false, error: { code: 'invalid_fields', message: '2 fields', fields: [{ field: 'rows', reason: 'too many' }] } }, '')).toBe(
      '400 invalid_fields: 2 fields\n  rows: too many',
    );
    expect(describeProblem(502, null, '<html>Bad gateway</html>')).toBe('502: <html>Bad gateway</html>');
  });
});

describe('options', () => {
  const base = ['--orders', 'o.csv', '--endpoint', 'http://127.0.0.1:8787/', '--public-key', 'pk', '--private-key', 'sk'];
  it('takes keys and endpoint from the environment, options first', () => {
    const o = parseOptions(['--orders', 'o.csv'], { SHOPBEACON_PUBLIC_KEY: 'pk', SHOPBEACON_PRIVATE_KEY: 'sk', SHOPBEACON_ENDPOINT: 'http://w' });
    expect(o).toMatchObject({ publicKey: 'pk', privateKey: 'sk', endpoint: 'http://w', concurrency: 4, batchSize: undefined });
    expect(parseOptions(base, { SHOPBEACON_PUBLIC_KEY: 'other' }).endpoint).toBe('http://127.0.0.1:8787');
  });
  it('names what is wrong', () => {
    expect(() => parseOptions(['--orders', 'o.csv'], {})).toThrow(/missing: the endpoint .*; the public key .*; the private key/);
    expect(() => parseOptions([...base, '--batch-size', '1001'], {})).toThrow(/--batch-size must be a whole number from 1 to 1000/);
    expect(() => parseOptions([...base, '--bogus'], {})).toThrow(UsageError);
  });
});

describe('reader', () => {
  it('reads RFC 4180 CSV with a BOM and CRLF, quoted commas, quotes and line breaks', async () => {
    const path = join(tmp(), 'x.csv');
    writeFileSync(path, '\ufeffa,b\r\n"1,2","say ""hi""\r\nthere"\r\n\r\nlast,\r\n');
    const input = await openInput(path);
    const rows = [];
    for await (const r of input.records) rows.push(r);
    expect(input.header).toEqual(['a', 'b']);
    expect(input.bom).toBe(true);
    expect(rows).toEqual([
      { row: 1, cells: ['1,2', 'say "hi"\r\nthere'] },
      { row: 2, cells: [''] },
      { row: 3, cells: ['last', ''] },
    ]);
  });

  it('numbers NDJSON rows by line, CRLF or LF, and cuts a line that is too long', async () => {
    const path = join(tmp(), 'x.ndjson');
    writeFileSync(path, `\ufeff{"a":1}\r\n\n${'x'.repeat(MAX_RECORD_BYTES + 10)}\n{"b":2}`);
    const input = await openInput(path);
    const rows = [];
    for await (const r of input.records) rows.push(r);
    expect(rows).toEqual([{ row: 1, line: '{"a":1}' }, { row: 2, line: '' }, { row: 3, overlong: true }, { row: 4, line: '{"b":2}' }]);
  });
});

describe('progress', () => {
  it('says rows, speed, rejects, share read and time left on one line', () => {
    expect(progressLine({ file: 'orders.csv', rows: 120000, rejected: 3, runRows: 119100, seconds: 6, bytesRead: 41, bytesAtStart: 0, size: 100 })).toBe(
      'orders.csv: 120000 rows, 19850 rows/s, 3 rejected, 41% (est. 9 s left)',
    );
  });
});
