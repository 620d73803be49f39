// Runs the real CLI (scripts/import.ts under tsx's loader, as `npm run import` does) as a child
// process, and writes the files it imports.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { PK, SK } from './fake-worker';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const keys = ['--public-key', PK, '--private-key', SK];

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  done: Promise<Run>;
}

/** The environment without what would change the CLI's defaults (keys, endpoint, npm's cwd). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHOPBEACON_') && !k.startsWith('npm_') && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

export function startCli(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export const runCli = (args: string[], env: Record<string, string> = {}) => startCli(args, env).done;

const made: string[] = [];

/** A fresh folder for one test's files; setup.ts removes them after each test file. */
export function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shopbeacon-import-'));
  made.push(dir);
  return dir;
}

export function removeTmp() {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const csvLine = (cells: readonly string[], eol = '\n') => cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',') + eol;

export function writeCsv(path: string, header: readonly string[], rows: readonly (readonly string[])[], o: { eol?: string; bom?: boolean } = {}) {
  writeFileSync(path, (o.bom ? '\ufeff' : '') + [header, ...rows].map((r) => csvLine(r, o.eol)).join(''));
}

/** A CSV file's records, header first (a BOM is dropped). */
export const readCsv = (path: string): string[][] => parse(readFileSync(path), { bom: true, relax_column_count: true });

export const readNdjson = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** The lines of `n` orders, order i with id O<i>; the `bad` rows get an order_amount of "BAD". */
export const ORDER_HEADER = ['order_idorder', 'order_state', 'order_amount', 'order_crea_dt', 'customer_email', 'add_order_tag'];
export function orderRows(n: number, bad: ReadonlySet<number> = new Set()): string[][] {
  return Array.from({ length: n }, (_, i) => [`O${i + 1}`, '20', bad.has(i + 1) ? 'BAD' : `${(i % 500) + 1}.50`, '2021-03-04 10:11:12', `c${i % 97}@example.com`, 'web|promo']);
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export async function waitFor(check: () => boolean, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((ok) => setTimeout(ok, 5));
  }
}
