#!/usr/bin/env node
// npm run import -- [--customers FILE] [--orders FILE] --endpoint URL --public-key PK --private-key SK
//                   [--rate N] [--resume] [--batch-size N] [--concurrency N] [--stats-json]
// Imports a shop's history (customers and orders from before the tracker) into the Worker's
// import API, POST /api/import/customers and /api/import/orders, a batch of up to 1,000 rows
// at a time, customers first. Files are streamed (1 GB is fine), the rows the Worker or the CLI
// refuses go to a rejects file beside the input, and a checkpoint beside it lets --resume go on
// after a crash, a kill or Ctrl-C without sending a finished batch again or skipping a row.
//
// Exit codes: 0 done (rejected rows included: the summary counts them); 1 a usage mistake or a
// file that cannot be read; 2 the Worker refused the keys; 3 stopped (gave up after retries, or
// the Worker refused a request): --resume continues; 130 Ctrl-C (--resume continues too).
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Checkpoint, checkpointPathOf, deleteCheckpoint, type Kind, readCheckpoint, resumeProblem, writeCheckpoint } from './import/checkpoint';
import { compileHeader, HeaderError } from './import/mapping';
import { DEFAULT_BATCH, type Options, parseOptions, USAGE, UsageError } from './import/options';
import { rowsPerSecond } from './import/progress';
import { TokenBucket } from './import/rate';
import { formatOf, InputError, openInput } from './import/reader';
import { rejectsPathOf, rejectsProblem } from './import/rejects';
import { type FileJob, type FileOutcome, importFile } from './import/run';
import { Abandoned, AuthError, basicAuth, StopError } from './import/sender';

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

let options: Options;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  if (!e.message) fail(USAGE, 0); // --help
  fail(`${e.message}\n${USAGE}`, 1);
}

// `npm run import` runs in the repository's folder; the files are named from where it was typed.
const cwd = process.env.npm_lifecycle_event === 'import' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();

/** Every file is checked (exists, header maps, checkpoint fits) before anything is sent. */
async function plan(kind: Kind, given: string): Promise<FileJob> {
  const path = resolve(cwd, given);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    fail(`--${kind} ${given}: no such file\n${USAGE}`, 1);
  }
  if (!stat.isFile()) fail(`--${kind} ${given}: not a file`, 1);
  const format = formatOf(path);
  if (format === 'csv') {
    const input = await openInput(path, format).catch((e: Error) => fail(`--${kind} ${given}: ${e.message}`, 1));
    input.close();
    try {
      compileHeader(input.header ?? []);
    } catch (e) {
      if (e instanceof HeaderError) fail(`--${kind} ${given}: ${e.message}`, 1);
      throw e;
    }
  }
  const checkpointPath = checkpointPathOf(path);
  let existing: Checkpoint | null;
  try {
    existing = readCheckpoint(checkpointPath);
  } catch (e) {
    fail(`--${kind} ${given}: ${(e as Error).message}`, 1);
  }
  const job = { path, kind, format, checkpointPath, rejectsPath: rejectsPathOf(path, format) };
  if (existing) {
    if (!options.resume)
      fail(`--${kind} ${given}: an import of this file was started and not finished (${checkpointPath}).\nPass --resume to continue it, or delete that file to import from the first row again.`, 1);
    const problem = resumeProblem(existing, { kind, size: stat.size, mtimeMs: stat.mtimeMs, endpoint: options.endpoint, publicKey: options.publicKey, batchSize: options.batchSize });
    const reason = problem ?? rejectsProblem(job.rejectsPath, existing.rejects_bytes);
    if (reason) fail(`--${kind} ${given}: cannot resume from ${checkpointPath}: ${reason}.\nDelete that file to import from the first row again.`, 1);
    return { ...job, checkpoint: existing, resumed: true };
  }
  if (options.resume) console.error(`${given}: no checkpoint, so no earlier run to resume: imported from the first row`);
  const checkpoint: Checkpoint = {
    version: 1,
    import: `imp_${randomBytes(12).toString('base64url')}`,
    kind,
    file: given,
    size: stat.size,
    mtime_ms: stat.mtimeMs,
    endpoint: options.endpoint,
    public_key: options.publicKey,
    batch_size: options.batchSize ?? DEFAULT_BATCH,
    rows_done: 0,
    next_batch: 0,
    rows: 0,
    taken: 0,
    rejected: 0,
    rejects_bytes: 0,
    ahead: [],
    done: false,
    updated_at: '',
  };
  return { ...job, checkpoint, resumed: false };
}

const jobs: FileJob[] = [];
if (options.customers) jobs.push(await plan('customers', options.customers));
if (options.orders) jobs.push(await plan('orders', options.orders));
// One bucket for the whole run; it holds one batch (the largest, should the files' differ).
const rate = options.rate ? new TokenBucket(options.rate, Math.max(...jobs.map((j) => j.checkpoint.batch_size))) : undefined;

// Ctrl-C once: no new batch, those in flight finish (and are committed). Twice: they are dropped
// (the checkpoint does not count them; --resume sends them again under the same batch numbers).
const drain = new AbortController();
const abandon = new AbortController();
let interrupted: NodeJS.Signals | null = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(signal, () => {
    if (interrupted) {
      console.error(`\n${signal} again: dropping the batches in flight`);
      abandon.abort();
      return;
    }
    interrupted = signal;
    console.error(`\n${signal}: sending no new batch; waiting for those in flight (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to drop them)`);
    drain.abort();
  });

const authorization = basicAuth(options.publicKey, options.privateKey);
const outcomes: FileOutcome[] = [];
let stop: { error: Error; job: FileJob } | null = null;
for (const job of jobs) {
  if (job.checkpoint.done) {
    console.error(`${job.checkpoint.file}: already imported by an earlier run (its checkpoint says done)`);
  } else if (!job.resumed) writeCheckpoint(job.checkpointPath, job.checkpoint); // the import id is kept from the first batch on
  const outcome = await importFile(job, {
    endpoint: options.endpoint,
    concurrency: options.concurrency,
    tty: Boolean(process.stderr.isTTY),
    onFailure: () => drain.abort(),
    sender: {
      authorization,
      timeoutMs: options.timeoutMs,
      retryDelayMs: options.retryDelayMs,
      maxAttempts: 8,
      rate,
      drain: drain.signal,
      abandon: abandon.signal,
      note: (m) => console.error(process.stderr.isTTY ? `\r\x1b[2K${m}` : m), // over the bar's line, which redraws below
    },
  });
  outcomes.push(outcome);
  if (outcome.error) {
    stop = { error: outcome.error, job };
    break;
  }
}

const finished = !stop;
if (finished) for (const job of jobs) deleteCheckpoint(job.checkpointPath);

for (const o of outcomes) {
  const rejected = o.rejected ? `${o.rejected} rejected (${o.rejectsPath})` : '0 rejected';
  const resumed = o.runRows !== o.rows ? ` (${o.runRows} in this run)` : '';
  const end = o.error ? 'checkpoint kept' : finished ? 'checkpoint deleted' : 'done, checkpoint kept until the other file is done';
  console.log(`${o.file}: ${o.rows} row${o.rows === 1 ? '' : 's'}${resumed}, ${o.taken} taken, ${rejected}, ${o.seconds.toFixed(1)} s, ${rowsPerSecond(o)} rows/s; ${end}`);
}

let code = 0;
if (stop) {
  const { error, job } = stop;
  const again = [
    'npm run import --',
    ...jobs.flatMap((j) => [`--${j.kind}`, quote(j.checkpoint.file)]),
    `--endpoint ${quote(options.endpoint)}`,
    ...(options.rate ? [`--rate ${options.rate}`] : []),
    '--resume',
  ].join(' ');
  const resumeHint = `The checkpoint is saved (${job.checkpointPath}); to continue, with the same keys:\n  ${again}`;
  if (error instanceof AuthError) {
    code = 2;
    console.error(`${job.checkpoint.file}: ${error.message}`);
    // Refused keys took nothing: a first run leaves no checkpoint to get in the way of the next.
    if (!job.resumed && job.checkpoint.rows === 0 && job.checkpoint.ahead.length === 0) deleteCheckpoint(job.checkpointPath);
    else console.error(resumeHint);
  } else if (error instanceof Abandoned) {
    code = interrupted === 'SIGINT' ? 130 : 3;
    console.error(`${job.checkpoint.file}: stopped by ${interrupted ?? 'request'} after row ${job.checkpoint.rows_done}.\n${resumeHint}`);
  } else if (error instanceof InputError || error instanceof HeaderError) {
    code = 1;
    console.error(`${error.message}\nRows before it are imported. Fix the file, delete ${job.checkpointPath}, and import it again: rows already taken are upserted, not doubled.`);
  } else {
    code = 3;
    console.error(`${job.checkpoint.file}: ${error instanceof StopError ? error.message : (error.stack ?? error.message)}\n${resumeHint}`);
  }
}

if (options.statsJson)
  console.log(
    JSON.stringify({
      exit_code: code,
      max_rss_bytes: process.resourceUsage().maxRSS * 1024,
      files: outcomes.map((o) => ({ ...o, error: o.error?.message, rows_per_s: rowsPerSecond(o) })),
    }),
  );
process.exit(code);

function quote(arg: string) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}
