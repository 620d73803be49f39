// The checkpoint beside each input (`<input>.import-checkpoint.json`): enough to go on after a
// crash, a kill or Ctrl-C without sending a finished batch's rows as new data and without
// skipping a row. It is rewritten (temp file + rename, so a kill leaves the old one or the new
// one, never half of one) each time the Worker acknowledges a batch.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { FieldError } from '@shopbeacon/protocol';

export type Kind = 'customers' | 'orders';

/** A batch the Worker acknowledged while an earlier one was still in flight. */
export interface Ahead {
  batch: number;
  rejected: WorkerReject[];
}

export interface WorkerReject extends FieldError {
  row: number;
}

export interface Checkpoint {
  version: 1;
  import: string;
  kind: Kind;
  file: string;
  /** The input as it was when the import started: a resumed run refuses a changed file. */
  size: number;
  mtime_ms: number;
  endpoint: string;
  public_key: string;
  /** Batches are formed again on resume: only the same size forms the same batches. */
  batch_size: number;
  /** Every row up to this number is done (sent and acknowledged, rejected, or blank). */
  rows_done: number;
  next_batch: number;
  rows: number;
  taken: number;
  rejected: number;
  /** The rejects file's length when rows_done was reached. */
  rejects_bytes: number;
  /** Acknowledged batches past rows_done (their rows are not sent again on resume). */
  ahead: Ahead[];
  /** The Worker was told the import is done. */
  done: boolean;
  updated_at: string;
}

export const checkpointPathOf = (input: string) => `${input}.import-checkpoint.json`;

/** null when there is none; throws when there is one that cannot be read. */
export function readCheckpoint(path: string): Checkpoint | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let cp: Checkpoint;
  try {
    cp = JSON.parse(text) as Checkpoint;
  } catch (e) {
    throw new Error(`${path} is not JSON (${(e as Error).message}): delete it to start over`);
  }
  if (cp?.version !== 1 || typeof cp.import !== 'string' || !Number.isInteger(cp.rows_done) || !Array.isArray(cp.ahead))
    throw new Error(`${path} is not a checkpoint of this version of the importer: delete it to start over`);
  return cp;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  cp.updated_at = new Date().toISOString();
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cp, null, 1)}\n`);
  renameSync(tmp, path);
}

export const deleteCheckpoint = (path: string) => rmSync(path, { force: true });

/** Why a checkpoint cannot be resumed with this input and these options, or null. */
export function resumeProblem(cp: Checkpoint, now: { kind: Kind; size: number; mtimeMs: number; endpoint: string; publicKey: string; batchSize?: number }): string | null {
  if (cp.kind !== now.kind) return `it is of an import of ${cp.kind}, and the file is now given as --${now.kind}`;
  if (cp.size !== now.size || cp.mtime_ms !== now.mtimeMs)
    return `the file changed since the import started (size ${cp.size} → ${now.size} bytes, modified ${new Date(cp.mtime_ms).toISOString()} → ${new Date(now.mtimeMs).toISOString()}); rows would no longer be where the checkpoint says`;
  if (cp.endpoint !== now.endpoint) return `it is of an import into ${cp.endpoint}, not ${now.endpoint}`;
  if (cp.public_key !== now.publicKey) return `it is of an import with the public key ${cp.public_key}, not ${now.publicKey}`;
  if (now.batchSize !== undefined && now.batchSize !== cp.batch_size)
    return `it was made with --batch-size ${cp.batch_size}; a resumed run forms the same batches (leave --batch-size out or give ${cp.batch_size})`;
  return null;
}
