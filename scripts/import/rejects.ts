// The rejects file beside the input: every row the Worker or the CLI refused, with its original
// cells (CSV) or object (NDJSON) plus `_row` and `_errors`, so it can be fixed and imported
// again (`_` columns and keys are ignored on import). Written in row order, one batch at a time
// once the batch is committed, so the checkpoint can record its length and a resumed run cut it
// back to exactly that.
import { closeSync, existsSync, ftruncateSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { FieldError } from '@shopbeacon/protocol';
import type { Original } from './batches';
import type { Format } from './reader';

export const rejectsPathOf = (input: string, format: Format) =>
  join(dirname(input), `${basename(input, extname(input))}.rejects.${format === 'csv' ? 'csv' : 'ndjson'}`);

/** A CSV cell as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break. */
export const csvCell = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
const csvLine = (cells: readonly string[]) => `${cells.map(csvCell).join(',')}\r\n`;

export const errorsText = (errors: readonly FieldError[]) => errors.map((e) => `${e.field}: ${e.reason}`).join('; ');

/** Why a resumed import cannot cut the rejects file back to `bytes`, or null. */
export function rejectsProblem(path: string, bytes: number): string | null {
  const size = existsSync(path) ? statSync(path).size : -1;
  if (bytes === 0 || size >= bytes) return null;
  return `${path} is ${size < 0 ? 'missing' : `shorter (${size} bytes)`}, and the checkpoint counts ${bytes} bytes of it: it was changed since`;
}

/** Our own columns: a rejects file imported again gets them anew, not twice. */
const OWN = new Set(['_row', '_errors']);

export interface RejectEntry {
  row: number;
  errors: FieldError[];
  original: Original;
}

export class RejectsFile {
  private fd: number | null = null;
  private length: number;
  private readonly keep: number[] = []; // CSV: the input's columns written back

  /**
   * `resumeAt`: the length the checkpoint recorded (the file is cut back to it); without it any
   * rejects file of an earlier run is removed, so what is there at the end is this import's.
   */
  constructor(
    readonly path: string,
    private readonly format: Format,
    private readonly header: readonly string[] | null,
    private readonly bom: boolean,
    resumeAt?: number,
  ) {
    header?.forEach((name, i) => {
      if (!OWN.has(name.trim())) this.keep.push(i);
    });
    this.length = resumeAt ?? 0;
    if (!resumeAt) {
      rmSync(path, { force: true });
      return;
    }
    const problem = rejectsProblem(path, resumeAt);
    if (problem) throw new Error(problem);
    this.fd = openSync(path, 'r+');
    ftruncateSync(this.fd, resumeAt);
  }

  /** The file's length in bytes: what the checkpoint records. */
  bytes(): number {
    return this.length;
  }

  write(entries: readonly RejectEntry[]): void {
    if (!entries.length) return;
    let text = this.length === 0 ? this.preamble() : '';
    for (const e of entries) text += this.format === 'csv' ? this.csvEntry(e) : this.ndjsonEntry(e);
    this.fd ??= openSync(this.path, 'w');
    const buf = Buffer.from(text);
    // Positional writes: after a cut-back the file ends exactly at this.length.
    for (let done = 0; done < buf.length; ) done += writeSync(this.fd, buf, done, buf.length - done, this.length + done);
    this.length += buf.length;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private preamble(): string {
    if (this.format !== 'csv') return '';
    return (this.bom ? '\ufeff' : '') + csvLine([...this.keep.map((i) => this.header![i]), '_row', '_errors']);
  }

  private csvEntry(e: RejectEntry): string {
    const width = this.header!.length;
    const cells = JSON.parse(e.original) as string[];
    // A row with too few cells is padded so that _row and _errors stand in their columns; one
    // with too many is written as it was, every cell of it.
    const kept = cells.length <= width ? this.keep.map((i) => cells[i] ?? '') : cells;
    return csvLine([...kept, String(e.row), errorsText(e.errors)]);
  }

  private ndjsonEntry(e: RejectEntry): string {
    const ours = { _row: e.row, _errors: errorsText(e.errors) };
    let value: unknown;
    try {
      value = JSON.parse(e.original);
    } catch {
      /* not JSON: kept as text below */
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const object = { ...(value as Record<string, unknown>) };
      delete object._row;
      delete object._errors;
      return `${JSON.stringify({ ...object, ...ours })}\n`;
    }
    return `${JSON.stringify({ ...ours, _line: e.original })}\n`;
  }
}
