#!/usr/bin/env node
// npm run dev: apply the D1 migrations to the local databases, then serve the Worker on
// http://127.0.0.1:${PORT:-8787}. Extra arguments go to `wrangler dev`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { persistArgs, root, wranglerSpawn, wranglerSync } from './wrangler.mjs';

const port = process.env.PORT || '8787';
// The Worker serves the built SDK (/sdk.js, /sdk.debug.js, /docs): build it once if any is not
// there (npm run build rebuilds).
if (['sdk.js', 'sdk.debug.js', 'docs.html', 'manifest.json'].some((f) => !existsSync(join(root, 'packages/sdk/dist', f)))) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// Every D1 database of wrangler.toml has the same schema: the control one and DB_BIG (tenancy.ts).
for (const db of ['shopbeacon', 'shopbeacon-big']) wranglerSync(['d1', 'migrations', 'apply', db, '--local', ...persistArgs()]);
// Locally, webhooks may point at a receiver on this machine (http, localhost): off in production.
// --test-scheduled: /__scheduled runs the Cron Trigger's job (wrangler warns at every start without it).
const dev = wranglerSpawn(['dev', '--ip', '127.0.0.1', '--port', port, '--test-scheduled', '--var', 'WEBHOOKS_ALLOW_LOCAL:1', ...persistArgs(), ...process.argv.slice(2)]);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
