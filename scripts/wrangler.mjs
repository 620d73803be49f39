// Runs wrangler from this repository with the project's defaults: no metrics, and the local
// state directory (SHOPBEACON_STATE, default .wrangler/state) that `npm run dev` uses.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');

export const wranglerEnv = () => ({ ...process.env, WRANGLER_SEND_METRICS: 'false', CI: process.env.CI ?? 'true' });

/** --persist-to, when a state directory other than the default is asked for. */
export const persistArgs = () => (process.env.SHOPBEACON_STATE ? ['--persist-to', resolve(process.env.SHOPBEACON_STATE)] : []);

/** Runs wrangler to completion; returns its stdout, throws with its output on failure. */
export function wranglerSync(args, { quiet = false } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env: wranglerEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  if (!quiet) process.stderr.write(r.stderr);
  return r.stdout;
}

/** Starts a long-running wrangler (dev); the child inherits stdio. */
export const wranglerSpawn = (args, options = {}) =>
  spawn(process.execPath, [bin, ...args], { cwd: root, env: wranglerEnv(), stdio: 'inherit', ...options });
