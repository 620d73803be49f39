// The README's curl commands run as written, against the real `npm run dev`: every ```sh block
// that calls curl is run by bash, in the README's order, for a new site. The README's own
// conventions are filled in: the shell variables PK and SK are that site's keys, `pk_…` (the
// public key inside a quoted string) is its public key, `secret=…` its callback secret, and
// http://127.0.0.1:8787 the address of this `npm run dev`. Each curl must exit 0 (a command curl
// refuses, as it does a URL with [ ] without -g, exits 3) and get an answer, below 500, and not
// 401 when it sends the keys. The other sh blocks are not run here: they start servers (npm start,
// npm run dev), need a Cloudflare account (Deploying), or have their own tests (npm run site:
// site-cli.test.ts; the PHP client: php.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { basicAuth, root, runSite, type SiteKeys, siteJson } from './global-setup';

type Json = Record<string, any>;
const README_HOST = 'http://127.0.0.1:8787';
const CALLBACK_SECRET = 'readme-e2e-1';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const shBlocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const curlBlocks = shBlocks.filter((b) => /^\s*curl\s/m.test(b));

/**
 * curl as the README writes it, with only where its answer goes changed: each call's exit code,
 * HTTP status, arguments, body and error output are kept in $CURL_DIR/<n>.*, and the block goes on.
 */
const CURL_SPY = String.raw`
n=0
curl() {
  n=$((n + 1))
  local status
  status=$(command curl -sS -o "$CURL_DIR/$n.body" -w '%{http_code}' "$@" 2>"$CURL_DIR/$n.err")
  echo "$?" >"$CURL_DIR/$n.exit"
  echo "$status" >"$CURL_DIR/$n.status"
  printf '%s' "$*" >"$CURL_DIR/$n.args"
}
`;

interface Call {
  exit: number;
  status: number;
  args: string;
  detail: string;
}

/** Runs one README block with bash; the curl calls it made, in order. */
function runBlock(block: string, site: SiteKeys): { calls: Call[]; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shopbeacon-readme-'));
  try {
    const script = block.replaceAll(README_HOST, inject('baseUrl')).replaceAll('pk_…', site.publicKey).replaceAll('secret=…', `secret=${CALLBACK_SECRET}`);
    const r = spawnSync('bash', ['-c', `${CURL_SPY}\n${script}`], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, PK: site.publicKey, SK: site.privateKey, CURL_DIR: dir },
    });
    const output = `bash exited ${r.status}\n${r.stdout}\n${r.stderr}`;
    const calls: Call[] = [];
    for (let n = 1; ; n++) {
      let exit: string;
      try {
        exit = readFileSync(join(dir, `${n}.exit`), 'utf8');
      } catch {
        break;
      }
      // No body when curl refused the command (it never sent it).
      const read = (ext: string) => (existsSync(join(dir, `${n}.${ext}`)) ? readFileSync(join(dir, `${n}.${ext}`), 'utf8') : '');
      calls.push({ exit: Number(exit), status: Number(read('status')), args: read('args'), detail: `${read('err')}${read('body').slice(0, 500)}` });
    }
    expect(r.status, output).toBe(0);
    return { calls, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the README's curl commands", () => {
  let site: SiteKeys;
  const api = async (path: string) =>
    (await (await fetch(`${inject('baseUrl')}${path}`, { headers: { authorization: basicAuth(site.publicKey, site.privateKey) } })).json()) as Json;

  beforeAll(async () => {
    site = siteJson(runSite(['create', '--name', 'README e2e shop', '--json'], inject('stateDir')));
    // The callbacks section starts from a site with its callback_secret set.
    const res = await fetch(`${inject('baseUrl')}/api/settings`, {
      method: 'PUT',
      headers: { authorization: basicAuth(site.publicKey, site.privateKey), 'content-type': 'application/json' },
      body: JSON.stringify({ callback_secret: CALLBACK_SECRET }),
    });
    expect(res.status).toBe(200);
  });

  it('are all found: every curl of an sh block calls the local Worker, and none is left out', () => {
    const curls = shBlocks.flatMap((b) => b.split('\n').filter((l) => /^\s*curl\s/.test(l)));
    expect(curls.length).toBeGreaterThanOrEqual(20);
    for (const line of curls) expect(line, 'a curl the test would not run as written').toContain(README_HOST);
    expect(curlBlocks.length).toBeGreaterThanOrEqual(10);
    // The placeholders the test fills in are the only ones left in what it runs.
    for (const block of curlBlocks) {
      const commands = block.replace(/(^|\s)#.*$/gm, '').replaceAll('pk_…', '').replaceAll('secret=…', '');
      expect(commands, 'a placeholder the test does not know').not.toContain('…');
    }
  });

  it('each exits 0 and gets an answer below 500 (never 401 with the keys), in order', async () => {
    let ran = 0;
    for (const block of curlBlocks) {
      const { calls, output } = runBlock(block, site);
      expect(calls.length, `no curl ran in:\n${block}\n${output}`).toBe(block.split('\n').filter((l) => /^\s*curl\s/.test(l)).length);
      for (const call of calls) {
        const what = `curl ${call.args}\n${call.detail}`;
        expect(call.exit, what).toBe(0);
        expect(call.status, what).toBeGreaterThanOrEqual(200);
        expect(call.status, what).toBeLessThan(500);
        if (call.args.startsWith('-u ')) expect(call.status, what).not.toBe(401);
      }
      ran += calls.length;
    }
    expect(ran).toBeGreaterThanOrEqual(20);
    // And they did what the README says: the order of its updateOrder examples, the events of
    // its /collect examples, the opt-out of its callback example.
    const orders = (await api('/api/orders/recent')).orders as Json[];
    expect(orders.find((o) => o.order_idorder === '0000001')).toMatchObject({ order_state: 20, customer_email: 'john@doe.com' });
    expect(orders.find((o) => o.order_idorder === '0000002')).toMatchObject({
      items: [{ sku: 'TS-1', name: 'T-shirt', category: 'Men/Tops/T-shirts', quantity: 2, unit_price: 19.9 }],
      order_pickup_location: 'Parcel locker KRA01M',
    });
    // /collect answers once its events are queued; the consumer writes them within seconds.
    await expect
      .poll(async () => ((await api('/api/events/recent')).events as Json[]).map((e) => e.type).sort(), { timeout: 15_000, interval: 200 })
      .toEqual(['page', 'product']);
    const optout = ((await api('/api/triggers/recent')).triggers as Json[]).find((t) => t.type === 'consent.updated' && JSON.stringify(t).includes('"source":"callback"'));
    expect(optout, 'the callback example opted jane@doe.com out').toBeDefined();
  });
});
