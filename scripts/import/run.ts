// Imports one file: read → map → batches → up to `concurrency` batches in flight → commit in
// file order. A batch is committed (its rejects written, the checkpoint moved past it) only once
// every batch before it is: the checkpoint's rows_done is the prefix of the file that is done,
// whatever order the answers come in. A batch answered out of order is written into the
// checkpoint too (`ahead`), so a resumed run does not send it again.
import { basename } from 'node:path';
import type { FieldError } from '@shopbeacon/protocol';
import { type Parsed, type Unit, units } from './batches';
import { type Ahead, type Checkpoint, type Kind, writeCheckpoint } from './checkpoint';
import { compileHeader, mapCsvRow, mapNdjsonLine } from './mapping';
import { type Snapshot, showProgress } from './progress';
import { type Format, type Input, MAX_RECORD_BYTES, openInput, type RawRecord } from './reader';
import { type RejectEntry, RejectsFile } from './rejects';
import { Abandoned, batchAnswer, jsonBody, post, type SenderOptions } from './sender';

export interface FileJob {
  path: string;
  kind: Kind;
  format: Format;
  checkpoint: Checkpoint;
  checkpointPath: string;
  rejectsPath: string;
  /** The checkpoint was read from disk (the rejects file is cut back to its length). */
  resumed: boolean;
}

export interface RunOptions {
  endpoint: string;
  concurrency: number;
  sender: Omit<SenderOptions, 'url'>;
  /** Show progress on a terminal bar (true) or plain lines (false). */
  tty: boolean;
  /** A batch failed for good: the others get no new attempt (the sender's drain signal). */
  onFailure: () => void;
}

export interface FileOutcome {
  file: string;
  kind: Kind;
  rows: number;
  taken: number;
  rejected: number;
  rejectsPath: string | null;
  /** Rows done by this run, and its seconds. */
  runRows: number;
  seconds: number;
  /** The error that stopped the file (an Abandoned one when stopped from here). */
  error?: Error;
}

/** The file's rows mapped, until its end or `stop` (Ctrl-C stops reading, even far into a skip). */
function parsed(input: Input, stop: AbortSignal): AsyncGenerator<Parsed> {
  // Compiled before the first row is read: a header that cannot be mapped stops the file here.
  const columns = input.format === 'csv' ? compileHeader(input.header ?? []) : null;
  return (async function* () {
    for await (const r of input.records as AsyncIterable<RawRecord>) {
      if (stop.aborted) return;
      if ('overlong' in r) yield { row: r.row, original: '', t: 'reject', errors: [{ field: 'line', reason: `longer than ${MAX_RECORD_BYTES} bytes` }] };
      else if ('cells' in r) yield { row: r.row, original: JSON.stringify(r.cells), ...mapCsvRow(columns!, r.cells) };
      else yield { row: r.row, original: r.line, ...mapNdjsonLine(r.line) };
    }
  })();
}

const range = (u: Unit) => (u.rows.length === 1 ? `row ${u.rows[0].row}` : `rows ${u.rows[0].row}–${u.rows[u.rows.length - 1].row}`);

/** The rejects of a committed unit, in row order: the CLI's own, then the Worker's per row. */
function rejectsOf(unit: Unit, rejected: readonly Ahead['rejected'][number][], warn: (m: string) => void): RejectEntry[] {
  const out: RejectEntry[] = unit.local.map((l) => ({ row: l.row, errors: l.errors, original: l.original }));
  if (!rejected.length) return out;
  const first = unit.rows[0].row;
  const byRow = new Map<number, FieldError[]>();
  for (const r of rejected) {
    const i = r.row - first;
    if (i < 0 || i >= unit.rows.length) {
      warn(`batch ${unit.batch}: the Worker named row ${r.row}, which is not in it (${range(unit)}); ignored`);
      continue;
    }
    let errors = byRow.get(i);
    if (!errors) byRow.set(i, (errors = []));
    errors.push({ field: r.field, reason: r.reason });
  }
  for (const [i, errors] of [...byRow].sort((a, b) => a[0] - b[0])) out.push({ row: unit.rows[i].row, errors, original: unit.rows[i].original });
  return out;
}

export async function importFile(job: FileJob, o: RunOptions): Promise<FileOutcome> {
  const cp = job.checkpoint;
  const file = basename(job.path);
  const url = `${o.endpoint}/api/import/${job.kind}`;
  const sender: SenderOptions = { ...o.sender, url };
  const started = performance.now();
  const startRows = cp.rows;
  const input = await openInput(job.path, job.format);
  let rejects: RejectsFile | null = null;
  let bytesAtStart = 0;
  let lastRow = 0;
  const snapshot = (): Snapshot => ({
    file,
    rows: cp.rows,
    rejected: cp.rejected,
    runRows: cp.rows - startRows,
    seconds: (performance.now() - started) / 1000,
    bytesRead: input.bytesRead(),
    bytesAtStart,
    size: cp.size,
  });
  const outcome = (error?: Error): FileOutcome => ({
    file,
    kind: job.kind,
    rows: cp.rows,
    taken: cp.taken,
    rejected: cp.rejected,
    rejectsPath: rejects && rejects.bytes() > 0 ? job.rejectsPath : null,
    runRows: cp.rows - startRows,
    seconds: (performance.now() - started) / 1000,
    error,
  });
  const note = (m: string) => o.sender.note(`${file}: ${m}`);
  const save = () => writeCheckpoint(job.checkpointPath, cp);
  const progress = cp.done ? { stop() {} } : showProgress(snapshot, o.tty);

  try {
    const records = parsed(input, sender.drain);
    rejects = new RejectsFile(job.rejectsPath, job.format, input.header, input.bom, job.resumed ? cp.rejects_bytes : undefined);
    if (!cp.done) {
      const ahead = new Map(cp.ahead.map((a) => [a.batch, a]));
      const answered = new Map<number, { unit: Unit; rejected: Ahead['rejected'] }>();
      let nextSeq = 0;
      let failure: Error | null = null;
      const inFlight = new Set<Promise<void>>();

      const commit = () => {
        let moved = false;
        for (let a = answered.get(nextSeq); a; a = answered.get(nextSeq)) {
          answered.delete(nextSeq++);
          const entries = rejectsOf(a.unit, a.rejected, note);
          rejects!.write(entries);
          const rows = a.unit.rows.length + a.unit.local.length;
          cp.rows += rows;
          cp.rejected += entries.length;
          cp.taken += rows - entries.length;
          cp.rows_done = a.unit.lastRow;
          cp.rejects_bytes = rejects!.bytes();
          if (a.unit.batch !== null) {
            cp.next_batch = a.unit.batch + 1;
            ahead.delete(a.unit.batch);
          }
          moved = true;
        }
        return moved;
      };

      const handle = async (unit: Unit) => {
        let rejected: Ahead['rejected'] = [];
        const stored = unit.batch === null ? undefined : ahead.get(unit.batch);
        if (stored) rejected = stored.rejected;
        else if (unit.batch !== null) {
          const what = `batch ${unit.batch} (${range(unit)})`;
          const body = jsonBody({ import: cp.import, file, batch: unit.batch, first_row: unit.rows[0].row }, unit.rows);
          rejected = batchAnswer(await post(sender, body, unit.rows.length, `${file} ${what}`), what).rejected;
        }
        answered.set(unit.seq, { unit, rejected });
        const moved = commit();
        if (unit.seq >= nextSeq && unit.batch !== null) ahead.set(unit.batch, { batch: unit.batch, rejected }); // answered out of order
        cp.ahead = [...ahead.values()];
        if (moved || unit.seq >= nextSeq) save();
      };

      const batches = units(records, { batchSize: cp.batch_size, firstBatch: cp.next_batch, skipThrough: cp.rows_done, onRow: (row) => (lastRow = row) });
      let first = true;
      try {
        for await (const unit of batches) {
          if (first) {
            bytesAtStart = input.bytesRead();
            first = false;
          }
          while (inFlight.size >= o.concurrency && !failure) await Promise.race(inFlight);
          if (failure || sender.drain.aborted) break;
          const p: Promise<void> = handle(unit)
            .catch((e: Error) => {
              if (!(e instanceof Abandoned)) failure ??= e;
            })
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      } catch (e) {
        failure ??= e as Error; // the file could not be read on
      }
      // The batches in flight finish their attempt (and are committed), but are not tried again.
      if (failure) o.onFailure();
      await Promise.all(inFlight);
      if (failure) return outcome(failure);
      if (sender.drain.aborted) return outcome(new Abandoned('stopped'));

      // Every row is committed: the Worker is told the import of this file is done.
      await post(sender, JSON.stringify({ import: cp.import, file, done: true, rows: [], batch: cp.next_batch, first_row: lastRow + 1 }), 0, `${file}: the final request (done)`);
      cp.done = true;
      save();
    }
    return outcome();
  } catch (e) {
    return outcome(e as Error);
  } finally {
    progress.stop();
    rejects?.close();
    input.close();
  }
}
