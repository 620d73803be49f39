// Runs wrangler from this repository with the project's defaults: no metrics, and the local
// state directory (SHOPBEACON_STATE, default .wrangler/state) that `npm run dev` uses.
// It also keeps wrangler quiet when all is well, offline too; errors still show:
// - WRANGLER_HIDE_BANNER: the banner is where wrangler checks the npm registry for a newer
//   version (no other switch turns that off), and says "update available" for versions this
//   repository cannot take (wrangler is pinned at 4.86.0, the last to run on Node 20).
// - CLOUDFLARE_CF_FETCH_ENABLED=false: miniflare otherwise fetches workers.cloudflare.com/cf.json
//   for `Request.cf` at every start and prints a stack trace when it cannot (getaddrinfo
//   ENOTFOUND offline); the Worker reads nothing of `request.cf`, so the placeholder does.
// Either can be set otherwise in the environment.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');

export const wranglerEnv = () => ({
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CI: process.env.CI ?? 'true',
  WRANGLER_HIDE_BANNER: process.env.WRANGLER_HIDE_BANNER ?? 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
});

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
