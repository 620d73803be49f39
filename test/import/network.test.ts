// What the CLI does with each kind of answer: --rate, 429 with Retry-After, 5xx and dropped or
// hanging connections retried with backoff, giving up after 8 attempts (then --resume), refused
// keys (exit 2), a request refused whole (its problem printed, exit 3).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeWorker, type FakeOptions, SK } from './fake-worker';
import { keys, ORDER_HEADER, orderRows, range, runCli, tmp, writeCsv } from './helpers';

let fake: FakeWorker;
afterEach(() => fake.close());

async function ordersFile(n: number, o: FakeOptions = {}) {
  fake = await FakeWorker.start(o);
  const input = join(tmp(), 'orders.csv');
  writeCsv(input, ORDER_HEADER, orderRows(n));
  return { input, args: ['--orders', input, '--endpoint', fake.url, ...keys] };
}

const rowsTaken = () => new Set(fake.taken.map((t) => t.row));

describe('answers', () => {
  it('--rate: the rows sent in any window stay under rate × window + one batch', async () => {
    const RATE = 2000;
    const BATCH = 100;
    const { args } = await ordersFile(3000);
    const run = await runCli([...args, '--rate', String(RATE), '--batch-size', String(BATCH)]);
    expect(run.code).toBe(0);
    const sent = fake.batchRequests;
    expect(sent).toHaveLength(30);
    // Arrival times, not send times: a request can arrive late and bunch with the next, so
    // 50 ms and one more batch of slack.
    for (let i = 0; i < sent.length; i++)
      for (let j = i; j < sent.length; j++) {
        const rows = sent.slice(i, j + 1).reduce((n, r) => n + r.rows.length, 0);
        const window = (sent[j].at - sent[i].at + 50) / 1000;
        expect(rows).toBeLessThanOrEqual(RATE * window + 2 * BATCH);
      }
    // 3000 rows at 2000/s, the first batch at once: about 1.45 s, not much less.
    expect(sent.at(-1)!.at - sent[0].at).toBeGreaterThan(1000);
  });

  it('429: waits Retry-After and sends the same batch again', async () => {
    let limited = false;
    const { args } = await ordersFile(2500, {
      intercept: (r) => {
        if (r.batch !== 1 || limited) return undefined;
        limited = true;
        return { status: 429, retryAfter: 1, body: { ok: false, error: { code: 'rate_limited', message: 'Slow down.', fields: [] } } };
      },
    });
    const run = await runCli(args);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('orders.csv batch 1 (rows 1001–2000): rate limited by the Worker (429); sending again in 1.0 s');
    const tries = fake.batchRequests.filter((r) => r.batch === 1);
    expect(tries.map((r) => r.status)).toEqual([429, 200]);
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(950);
    expect(rowsTaken().size).toBe(2500);
  });

  it('5xx, a dropped connection, no answer or half of one: the same batch is sent again after a backoff', async () => {
    const plan: Record<number, ('kill' | 'hang' | 'stall' | 500 | 503)[]> = { 0: [500, 503], 1: ['kill'], 2: ['hang'], 3: ['stall'] };
    const { args } = await ordersFile(4000, {
      intercept: (r) => {
        const next = plan[r.batch]?.shift();
        if (next === undefined) return undefined;
        return typeof next === 'number' ? { status: next } : next;
      },
    });
    const run = await runCli([...args, '--retry-delay', '50', '--timeout', '1']);
    expect(run.code).toBe(0);
    const statuses = (b: number) => fake.batchRequests.filter((r) => r.batch === b).map((r) => r.status);
    expect(statuses(0)).toEqual([500, 503, 200]);
    expect(statuses(1)).toEqual([-2, 200]);
    expect(statuses(2)).toEqual([-1, 200]);
    expect(statuses(3)).toEqual([-3, 200]);
    expect(run.stderr).toMatch(/orders\.csv batch 0 \(rows 1–1000\): 500 test: the test asked for 500; attempt 2 of 8 in 0\.\d s/);
    expect(run.stderr).toContain('orders.csv batch 2 (rows 2001–3000): no answer in 1.0 s; attempt 2 of 8');
    expect(run.stderr).toContain('orders.csv batch 3 (rows 3001–4000): no answer in 1.0 s; attempt 2 of 8');
    expect(fake.batches.size).toBe(4);
    expect(rowsTaken().size).toBe(4000);
  });

  it('gives up after 8 attempts with exit 3 and how to resume; --resume then finishes', async () => {
    let down = true;
    const { input, args } = await ordersFile(3000, { intercept: (r) => (down && r.batch === 2 ? { status: 502 } : undefined) });
    const run = await runCli([...args, '--retry-delay', '5', '--concurrency', '1']);
    expect(run.code).toBe(3);
    expect(fake.batchRequests.filter((r) => r.batch === 2)).toHaveLength(8);
    expect(run.stderr).toContain('orders.csv batch 2 (rows 2001–3000): failed 8 times, the last: 502 test: the test asked for 502');
    expect(run.stderr).toContain('--resume');
    expect(run.stdout).toMatch(/^orders\.csv: 2000 rows, 2000 taken, 0 rejected, .*checkpoint kept/);
    down = false;
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^orders\.csv: 3000 rows \(1000 in this run\), 3000 taken/);
    expect(rowsTaken()).toEqual(new Set(range(1, 3000)));
    expect(existsSync(`${input}.import-checkpoint.json`)).toBe(false);
  });

  it('refused keys: exit 2 with what the Worker said, and no checkpoint in the way of the next run', async () => {
    const { input } = await ordersFile(10);
    const run = await runCli(['--orders', input, '--endpoint', fake.url, '--public-key', keys[1], '--private-key', `${SK}x`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('orders.csv: the Worker refused the keys: 401 unauthorized: Wrong public or private key.');
    expect(run.stderr).not.toContain(SK);
    expect(existsSync(`${input}.import-checkpoint.json`)).toBe(false);
    expect(fake.taken).toHaveLength(0);
  });

  it("a request refused whole (400): the Worker's problem with its fields, exit 3", async () => {
    const problem = { ok: false, error: { code: 'invalid_fields', message: '1 field is invalid', fields: [{ field: 'rows', reason: 'must be a list' }] } };
    const { args } = await ordersFile(10, { intercept: () => ({ status: 400, body: problem }) });
    const run = await runCli(args);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('orders.csv batch 0 (rows 1–10): the Worker refused the request: 400 invalid_fields: 1 field is invalid\n  rows: must be a list');
    expect(fake.batchRequests).toHaveLength(1); // not sent again
  });
});
