// Streams an input file row by row. Files may be 1 GB: nothing here holds more than a record
// (and the read stream's 64 KiB chunk); the consumer pulls, so reading waits while the batches
// in flight are full (the async iterators below pause the file stream: backpressure).
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { parse } from 'csv-parse';

export type Format = 'csv' | 'ndjson';

/** NDJSON by its extension (.ndjson, .jsonl); anything else is read as CSV. */
export const formatOf = (path: string): Format => (/\.(ndjson|jsonl)$/i.test(path) ? 'ndjson' : 'csv');

/** A record as read: its row number and its cells (CSV) or its text (NDJSON). */
export type RawRecord = { row: number; cells: string[] } | { row: number; line: string } | { row: number; overlong: true };

export interface Input {
  format: Format;
  /** CSV: the header row, as it is in the file. */
  header: string[] | null;
  /** The file starts with a UTF-8 byte order mark (the rejects file gets one too, for Excel). */
  bom: boolean;
  records: AsyncIterable<RawRecord>;
  /** Bytes taken from the file so far: the progress estimate. */
  bytesRead(): number;
  close(): void;
}

/** A file that cannot be read as its format; the message names the line. */
export class InputError extends Error {}

/** Longest record taken: past it a CSV has an unclosed quote, an NDJSON line is not a row. */
export const MAX_RECORD_BYTES = 1024 * 1024;

function startsWithBom(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(3);
    return readSync(fd, head, 0, 3, 0) === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  } finally {
    closeSync(fd);
  }
}

export async function openInput(path: string, format: Format = formatOf(path)): Promise<Input> {
  const bom = startsWithBom(path);
  const stream = createReadStream(path);
  const base = { format, bom, bytesRead: () => stream.bytesRead, close: () => stream.destroy() };
  if (format === 'ndjson') return { ...base, header: null, records: ndjsonRecords(stream, bom) };

  // RFC 4180 quoting (commas, quotes and line breaks in quoted cells), CRLF or LF, a BOM. A stray
  // quote inside an unquoted cell is taken as a character (relax_quotes), as spreadsheets write
  // it; rows with the wrong number of cells come through to be rejected one by one.
  const parser = stream.pipe(parse({ bom: true, relax_column_count: true, relax_quotes: true, max_record_size: MAX_RECORD_BYTES }));
  stream.on('error', (e) => parser.destroy(e));
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const first = await next(it, path, 0);
  const records = (async function* () {
    let row = 0;
    for (;;) {
      const r = await next(it, path, row);
      if (r.done) return;
      yield { row: ++row, cells: r.value };
    }
  })();
  return { ...base, header: first.done ? [] : first.value, records };
}

async function next(it: AsyncIterator<string[]>, path: string, row: number): Promise<IteratorResult<string[]>> {
  try {
    return await it.next();
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'CSV_MAX_RECORD_SIZE')
      throw new InputError(`${path}: row ${row + 1} is longer than ${MAX_RECORD_BYTES} bytes: a quote is probably not closed`);
    if (err.code?.startsWith('CSV_')) throw new InputError(`${path}: after row ${row}: ${err.message}`);
    throw err;
  }
}

/**
 * Splits the stream into lines (LF or CRLF) without readline, to count bytes and to drop a line
 * longer than MAX_RECORD_BYTES without holding it (it becomes a reject of its own).
 */
async function* ndjsonRecords(stream: AsyncIterable<Buffer>, bom: boolean): AsyncGenerator<RawRecord> {
  let parts: Buffer[] = [];
  let length = 0;
  let overlong = false;
  let row = 0;
  let skipBom = bom;
  const line = (last: Buffer): RawRecord => {
    row++;
    if (overlong || length + last.length > MAX_RECORD_BYTES) return { row, overlong: true };
    let text = (parts.length ? Buffer.concat([...parts, last]) : last).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return { row, line: text };
  };
  for await (let chunk of stream) {
    if (skipBom) {
      chunk = chunk.subarray(3);
      skipBom = false;
    }
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      yield line(chunk.subarray(start, nl));
      parts = [];
      length = 0;
      overlong = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (overlong || length + rest.length > MAX_RECORD_BYTES) {
      overlong = true;
      parts = [];
    } else if (rest.length) {
      parts.push(rest);
      length += rest.length;
    }
  }
  if (overlong || length > 0) yield line(Buffer.alloc(0));
}
