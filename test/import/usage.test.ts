// Usage mistakes are exit 1 with what is wrong, before anything is read or sent.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeWorker, PK, SK } from './fake-worker';
import { keys, ORDER_HEADER, orderRows, runCli, tmp, writeCsv } from './helpers';

let fake: FakeWorker;
let orders: string;
beforeAll(async () => {
  fake = await FakeWorker.start();
  orders = join(tmp(), 'orders.csv');
  writeCsv(orders, ORDER_HEADER, orderRows(5));
});
afterAll(() => fake.close());

describe('usage', () => {
  it.each([
    ['an unknown option', ['--orders', 'x.csv', '--bogus'], "Unknown option '--bogus'"],
    ['no file', ['--endpoint', 'http://127.0.0.1:1', ...keys], 'missing: a file to import (--customers FILE and/or --orders FILE)'],
    ['no private key', ['--orders', 'x.csv', '--endpoint', 'http://127.0.0.1:1', '--public-key', PK], 'missing: the private key (--private-key SK or SHOPBEACON_PRIVATE_KEY)'],
    ['no endpoint', ['--orders', 'x.csv', ...keys], 'missing: the endpoint (--endpoint URL or SHOPBEACON_ENDPOINT)'],
    ['a bad endpoint', ['--orders', 'x.csv', '--endpoint', 'localhost:8787', ...keys], '--endpoint must be an http(s) URL'],
    ['a file that is not there', ['--orders', 'nope.csv', '--endpoint', 'http://127.0.0.1:1', ...keys], '--orders nope.csv: no such file'],
    ['a batch too large', ['--orders', 'x.csv', '--endpoint', 'http://127.0.0.1:1', ...keys, '--batch-size', '5000'], '--batch-size must be a whole number from 1 to 1000, not "5000"'],
  ])('%s: exit 1 and says which', async (_, args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('usage:');
  });

  it('--help prints the usage, exit 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^usage:\n {2}npm run import -- /);
  });

  it('takes the keys and the endpoint from the environment', async () => {
    const run = await runCli(['--orders', orders], { SHOPBEACON_PUBLIC_KEY: PK, SHOPBEACON_PRIVATE_KEY: SK, SHOPBEACON_ENDPOINT: fake.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^orders\.csv: 5 rows, 5 taken/);
  });

  it('checks every file before sending anything: a header that cannot be mapped stops the run', async () => {
    const customers = join(tmp(), 'customers.csv');
    writeFileSync(customers, 'customer_email\na@x.com\n');
    const bad = join(tmp(), 'orders.csv');
    writeFileSync(bad, 'order_idorder,order_idorder\n1,2\n');
    const before = fake.requests.length;
    const run = await runCli(['--customers', customers, '--orders', bad, '--endpoint', fake.url, ...keys]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`--orders ${bad}: column 2: "order_idorder" is in the header row twice`);
    expect(fake.requests.length).toBe(before);
  });
});
