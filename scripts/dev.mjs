#!/usr/bin/env node
// npm run dev: apply the D1 migrations to the local database, then serve the Worker on
// http://127.0.0.1:${PORT:-8787}. Extra arguments go to `wrangler dev`.
import { persistArgs, wranglerSpawn, wranglerSync } from './wrangler.mjs';

const port = process.env.PORT || '8787';
wranglerSync(['d1', 'migrations', 'apply', 'shopbeacon', '--local', ...persistArgs()]);
const dev = wranglerSpawn(['dev', '--ip', '127.0.0.1', '--port', port, ...persistArgs(), ...process.argv.slice(2)]);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
