#!/usr/bin/env node
// npm run site -- create --name NAME [--json] [--remote]
// npm run site -- rotate --public-key PK [--json] [--remote]
// Creates a site (or gives it a new private key) in the local D1 that `npm run dev` uses, or in
// the remote one with --remote. The private key is printed here once and stored only as a hash.
import { parseArgs } from 'node:util';
import {
  checkSiteName,
  INSERT_SITE,
  inlineParams,
  insertSiteParams,
  issueKeys,
  ROTATE_KEY,
  rotateKeyParams,
} from '../packages/worker/src/sites';
import { CACHE_TTL_MS } from '../packages/worker/src/site-cache';
import { PUBLIC_KEY } from '../packages/worker/src/keys';
// @ts-expect-error: a plain .mjs helper shared with scripts/dev.mjs
import { persistArgs, wranglerSync } from './wrangler.mjs';

const usage = `usage:
  npm run site -- create --name NAME [--json] [--remote]
  npm run site -- rotate --public-key PK [--json] [--remote]`;

/** A usage mistake exits 2 with the usage; a refusal (no such site) exits 1. */
function fail(message: string, code: 1 | 2 = 2): never {
  console.error(code === 2 ? `${message}\n${usage}` : message);
  process.exit(code);
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        'public-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        remote: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
})();

function execute(sql: string): Record<string, unknown>[] {
  const where = values.remote ? ['--remote'] : ['--local', ...persistArgs()];
  const out = wranglerSync(['d1', 'execute', 'shopbeacon', ...where, '--json', '--command', sql], { quiet: true });
  const parsed = JSON.parse(out) as { results: Record<string, unknown>[] }[];
  return parsed[0]?.results ?? [];
}

function report(title: string, site: { siteId: number; publicKey: string; privateKey: string }) {
  const where = values.remote ? 'remote D1' : 'local D1';
  console.log(`${title} (${where})
  site id:      ${site.siteId}
  public key:   ${site.publicKey}
  private key:  ${site.privateKey}
The private key is shown this once and stored only as a hash: keep it now.`);
  if (values.json) console.log(JSON.stringify(site));
}

const [command] = positionals;
const now = Date.now();
if (command === 'create') {
  const problem = checkSiteName(values.name);
  if (problem) fail(`create: ${problem} (--name)`);
  const keys = await issueKeys();
  const [row] = execute(inlineParams(INSERT_SITE, insertSiteParams(values.name!, keys, now)));
  report(`Site "${values.name!.trim()}" created`, { siteId: Number(row.id), publicKey: keys.publicKey, privateKey: keys.privateKey });
} else if (command === 'rotate') {
  const publicKey = values['public-key'];
  if (!publicKey || !PUBLIC_KEY.test(publicKey)) fail('rotate: --public-key must be a public key, pk_ and 22 characters');
  const keys = await issueKeys(publicKey);
  const [row] = execute(inlineParams(ROTATE_KEY, rotateKeyParams(keys, now)));
  if (!row) fail(`rotate: no site has the public key ${publicKey}`, 1);
  report(`New private key issued; the old one is refused within ${CACHE_TTL_MS / 1000} s by every running Worker`, {
    siteId: Number(row.id),
    publicKey,
    privateKey: keys.privateKey,
  });
} else fail(command ? `unknown command: ${command}` : 'a command is needed');
