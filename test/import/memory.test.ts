// A large file streams: 200,000 orders (~30 MB, written here, not committed) go through with the
// CLI's peak RSS under a bound, and at a speed that the test prints (the fake answers at once).
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeWorker } from './fake-worker';
import { csvLine, keys, runCli, tmp } from './helpers';

const ROWS = 200_000;
// node with tsx's loader holds ~85 MB before the first row (tsx's hooks run in a thread of their
// own); reading this 30 MB file whole, as strings and rows, would take it far past the bound.
const MAX_RSS = 200 * 1024 * 1024;

let fake: FakeWorker;
let input: string;
beforeAll(async () => {
  fake = await FakeWorker.start({ keepRows: false });
  input = join(tmp(), 'orders.csv');
  const out = createWriteStream(input);
  out.write(csvLine(['order_idorder', 'order_state', 'order_amount', 'order_crea_dt', 'customer_email', 'customer_name', 'add_order_tag', 'product_attributes', 'items']));
  for (let i = 1; i <= ROWS; i++) {
    const line = csvLine([`O${i}`, '20', `${(i % 1000) + 0.5}`, '2021-03-04 10:11:12', `c${i % 5000}@example.com`, `Name ${i}`, 'web|promo', 'color:red;size:XL|color:blue', `[{"sku":"TS-${i % 50}","quantity":2,"unit_price":19.9}]`]);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
});
afterAll(() => fake.close());

it(`streams ${ROWS} rows with a flat memory`, async () => {
  const run = await runCli(['--orders', input, '--endpoint', fake.url, ...keys, '--stats-json']);
  expect(run.code).toBe(0);
  const stats = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { max_rss_bytes: number; files: { rows: number; taken: number; rows_per_s: number }[] };
  expect(stats.files[0]).toMatchObject({ rows: ROWS, taken: ROWS });
  expect(fake.batches.size).toBe(ROWS / 1000);
  console.log(`import of ${ROWS} rows: ${stats.files[0].rows_per_s} rows/s, peak RSS ${Math.round(stats.max_rss_bytes / 2 ** 20)} MB`);
  expect(stats.max_rss_bytes).toBeLessThan(MAX_RSS);
  // Without a terminal, a plain progress line every 5 s (if the run lasted that long).
  for (const line of run.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^orders\.csv: \d+ rows, \d+ rows\/s, 0 rejected, \d+% \(est\. .+ left\)$/);
}, 120_000);
