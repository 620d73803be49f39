// Groups the rows of a file into the batches sent to the Worker, and into the units the
// checkpoint advances by. The grouping depends only on the file and the batch size, so a resumed
// run forms batch n from exactly the rows the first run put in batch n: the Worker counts an
// (import, batch) pair once, and re-sending one is only safe if it holds the same rows.
//
// The Worker numbers the rows of a batch first_row, first_row + 1, …, so a batch is a run of
// consecutive rows: a row the CLI rejects itself, or a blank one, ends the batch being filled.
import type { FieldError } from '@shopbeacon/protocol';
import type { Mapped } from './mapping';

/**
 * A row as read, for the rejects file: its line (NDJSON), or its cells as a JSON array (CSV):
 * one string a row rather than an array of strings, held while the batch is in flight.
 */
export type Original = string;

export type Parsed = { row: number; original: Original } & Mapped;

export interface SendRow {
  row: number;
  /**
   * The row's object as JSON, made as the row is read: a batch being filled or waiting for a
   * slot holds one string a row, not the object's tree (which would live long enough to be
   * promoted out of V8's young generation, and memory is to stay flat).
   */
  json: string;
  original: Original;
}

export interface LocalReject {
  row: number;
  errors: FieldError[];
  original: Original;
}

export interface Unit {
  /** Position among this run's units: they are committed to the checkpoint in this order. */
  seq: number;
  /** The batch number sent; null for a unit with nothing to send (only local rejects, blank rows). */
  batch: number | null;
  /** Rows sent, consecutive: rows[i].row === rows[0].row + i. */
  rows: SendRow[];
  /** Rows rejected here, all before rows[0]. */
  local: LocalReject[];
  /** The last row number this unit accounts for (rows, rejects and blank rows). */
  lastRow: number;
}

export interface UnitOptions {
  batchSize: number;
  /** The number of the first batch formed (the checkpoint's next batch when resuming). */
  firstBatch: number;
  /** Rows up to this number were done by an earlier run: read past, not sent. */
  skipThrough: number;
  /** Told the number of every row read, skipped or not: the `first_row` of the final request. */
  onRow?: (row: number) => void;
}

export async function* units(records: AsyncIterable<Parsed>, o: UnitOptions): AsyncGenerator<Unit> {
  let seq = 0;
  let batch = o.firstBatch;
  let rows: SendRow[] = [];
  let local: LocalReject[] = [];
  let lastRow = o.skipThrough;
  const take = (): Unit => {
    const unit: Unit = { seq: seq++, batch: rows.length ? batch++ : null, rows, local, lastRow: rows.length ? rows[rows.length - 1].row : lastRow };
    rows = [];
    local = [];
    return unit;
  };
  for await (const r of records) {
    o.onRow?.(r.row);
    if (r.row <= o.skipThrough) continue;
    if (r.t === 'row') {
      rows.push({ row: r.row, json: JSON.stringify(r.body), original: r.original });
      lastRow = r.row;
      if (rows.length === o.batchSize) yield take();
      continue;
    }
    if (rows.length) yield take();
    lastRow = r.row;
    if (r.t === 'reject') {
      local.push({ row: r.row, errors: r.errors, original: r.original });
      // A long run of rejected rows is committed as it goes, not held.
      if (local.length === o.batchSize) yield take();
    }
  }
  if (rows.length || local.length || lastRow > o.skipThrough) yield take();
}
