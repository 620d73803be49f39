// A run killed halfway (SIGKILL: nothing of the CLI runs after it) or stopped with Ctrl-C, then
// --resume: every row of the file ends up sent, under the same import id and batch numbers, and
// nothing the checkpoint counts as acknowledged is sent again.
import { existsSync, readFileSync, renameSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../scripts/import/checkpoint';
import { FakeWorker, type Received } from './fake-worker';
import { keys, ORDER_HEADER, orderRows, range, readCsv, runCli, startCli, tmp, waitFor, writeCsv } from './helpers';

const ROWS = 12_000;
const BATCH = 300; // 40 batches
const BAD = new Set([5, 4000, 11_999]);

let fake: FakeWorker;
afterEach(() => fake.close());

/** Answers take 20–120 ms, so batches in flight finish out of order and the run lasts long enough to be cut. */
const jitter = () => 20 + Math.random() * 100;

function setup() {
  const dir = tmp();
  const input = join(dir, 'orders.csv');
  writeCsv(input, ORDER_HEADER, orderRows(ROWS, BAD));
  return { dir, input, checkpoint: `${input}.import-checkpoint.json`, args: ['--orders', input, '--endpoint', fake.url, ...keys, '--batch-size', String(BATCH)] };
}

const answered = () => fake.batchRequests.filter((r) => r.status === 200).length;

/** The checkpoint as it is now, or null. */
function checkpointNow(path: string): Checkpoint | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  } catch {
    return null;
  }
}

/** Starts an import (answers 20–120 ms late) and sends it `signal` once `after` batches were answered (and `also`). */
async function interrupt(signal: NodeJS.Signals, after: number, also: (cp: Checkpoint | null) => boolean = () => true) {
  fake = await FakeWorker.start({ delayMs: jitter });
  const files = setup();
  const run = startCli(files.args);
  await waitFor(() => answered() >= after && also(checkpointNow(files.checkpoint)));
  run.child.kill(signal);
  return { ...files, stopped: await run.done };
}
const batchesOf = (list: Received[]) => new Set(list.filter((r) => !r.done).map((r) => r.batch));

/** What every test checks after the resumed run: the file's rows, each taken, under one import. */
function expectWholeFile(dir: string) {
  const imports = new Set(fake.requests.map((r) => r.import));
  expect(imports.size).toBe(1);
  const taken = new Set(fake.taken.map((t) => t.row));
  expect(taken.size).toBe(ROWS - BAD.size);
  for (const row of range(1, ROWS)) expect(taken.has(row)).toBe(!BAD.has(row));
  expect(fake.batches.size).toBe(ROWS / BATCH);
  expect(fake.done.size).toBe(1);
  const rejects = readCsv(join(dir, 'orders.rejects.csv')).slice(1);
  expect(rejects.map((r) => Number(r.at(-2)))).toEqual([...BAD]);
}

describe('resume', () => {
  it('after SIGKILL: no acknowledged batch sent again, at most the batches in flight at the kill, and the whole file', async () => {
    const { dir, checkpoint, args, stopped } = await interrupt('SIGKILL', 12);
    expect(stopped.signal).toBe('SIGKILL');
    const before = fake.requests.slice();

    const cp = JSON.parse(readFileSync(checkpoint, 'utf8')) as Checkpoint;
    expect(cp.rows_done).toBeGreaterThan(0);
    expect(cp.rows_done).toBeLessThan(ROWS);
    expect(cp.import).toBe(before[0].import);
    const acknowledged = new Set([...range(0, cp.next_batch - 1), ...cp.ahead.map((a) => a.batch)]);
    // The rejects file holds what the checkpoint counts, no more.
    expect(readFileSync(join(dir, 'orders.rejects.csv')).length).toBeGreaterThanOrEqual(cp.rejects_bytes);

    const resumed = await runCli([...args, '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^orders\\.csv: ${ROWS} rows \\(\\d+ in this run\\), ${ROWS - BAD.size} taken, ${BAD.size} rejected .*checkpoint deleted`));
    const after = fake.requests.slice(before.length);
    expect(new Set(after.map((r) => r.import))).toEqual(new Set([cp.import]));
    expect(Math.min(...after.filter((r) => !r.done).map((r) => r.batch))).toBe(cp.next_batch);

    const sentAgain = [...batchesOf(after)].filter((b) => batchesOf(before).has(b));
    for (const b of sentAgain) expect(acknowledged.has(b)).toBe(false);
    expect(sentAgain.length).toBeLessThanOrEqual(4); // --concurrency: the batches that were in flight
    // No row of an acknowledged batch nor of the done prefix is sent again.
    for (const r of after) for (const row of r.rows) expect(row).toBeGreaterThan(cp.rows_done);
    expectWholeFile(dir);
    expect(existsSync(checkpoint)).toBe(false);
  });

  it('after Ctrl-C: the batches in flight finish, exit 130 with how to resume, then every row is sent exactly once', async () => {
    const { dir, checkpoint, args, stopped } = await interrupt('SIGINT', 12);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/SIGINT: sending no new batch; waiting for those in flight/);
    expect(stopped.stderr).toMatch(/stopped by SIGINT after row \d+\.\nThe checkpoint is saved .*; to continue, with the same keys:\n  npm run import -- --orders .* --resume/);
    expect(stopped.stderr).not.toContain('sk_'); // the private key is not printed
    const cp = JSON.parse(readFileSync(checkpoint, 'utf8')) as Checkpoint;
    expect(cp.ahead).toEqual([]); // every batch in flight finished and was committed
    const sent = fake.batchRequests.length;
    expect(cp.next_batch).toBe(sent);

    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code).toBe(0);
    const batches = fake.batchRequests.map((r) => r.batch);
    expect(new Set(batches).size).toBe(batches.length); // none sent twice
    const rows = fake.batchRequests.flatMap((r) => r.rows);
    expect(rows.sort((a, b) => a - b)).toEqual(range(1, ROWS));
    expectWholeFile(dir);
  });

  it('refuses to resume a changed file, and to start over while a checkpoint is there', async () => {
    const { input, checkpoint, args } = await interrupt('SIGKILL', 2, (cp) => (cp?.rejects_bytes ?? 0) > 0);
    expect(existsSync(checkpoint)).toBe(true);
    const sentBefore = fake.requests.length;

    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('an import of this file was started and not finished');
    expect(again.stderr).toContain('Pass --resume to continue it, or delete that file');

    const otherSize = await runCli([...args, '--batch-size', '100', '--resume']);
    expect(otherSize.code).toBe(1);
    expect(otherSize.stderr).toContain(`it was made with --batch-size ${BATCH}`);

    const rejects = join(dirname(input), 'orders.rejects.csv');
    renameSync(rejects, `${rejects}.away`);
    const noRejects = await runCli([...args, '--resume']);
    expect(noRejects.code).toBe(1);
    expect(noRejects.stderr).toContain(`${rejects} is missing, and the checkpoint counts`);
    renameSync(`${rejects}.away`, rejects);

    utimesSync(input, new Date(), new Date(Date.now() + 5000));
    const changed = await runCli([...args, '--resume']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/cannot resume from .*: the file changed since the import started/);
    expect(fake.requests.length).toBe(sentBefore); // refused before anything was sent
  });

  it('with two files: a finished one is not imported again by --resume', async () => {
    let down = true;
    fake = await FakeWorker.start({ intercept: (r) => (down && r.kind === 'orders' && r.batch === 1 ? { status: 503 } : undefined) });
    const { checkpoint, args } = setup();
    const customers = join(tmp(), 'customers.csv');
    writeCsv(customers, ['customer_email'], [['a@x.com'], ['b@x.com']]);
    const both = [...args, '--customers', customers, '--retry-delay', '1', '--concurrency', '1'];
    const first = await runCli(both);
    expect(first.code).toBe(3);
    expect(first.stdout).toMatch(/^customers\.csv: 2 rows, 2 taken, 0 rejected, .*; done, checkpoint kept until the other file is done\norders\.csv: 300 rows, /);
    const customersCheckpoint = JSON.parse(readFileSync(`${customers}.import-checkpoint.json`, 'utf8')) as Checkpoint;
    expect(customersCheckpoint.done).toBe(true);
    const customerRequests = fake.requests.filter((r) => r.kind === 'customers').length;

    down = false;
    const resumed = await runCli([...both, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`${customers}: already imported by an earlier run`);
    expect(fake.requests.filter((r) => r.kind === 'customers')).toHaveLength(customerRequests);
    expect(new Set(fake.taken.filter((t) => t.kind === 'orders').map((t) => t.row)).size).toBe(ROWS - BAD.size);
    expect(existsSync(checkpoint) || existsSync(`${customers}.import-checkpoint.json`)).toBe(false);
  });
});
