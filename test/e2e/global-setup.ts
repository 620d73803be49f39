// Starts the real `npm run dev` (node scripts/dev.mjs: D1 migrations, then wrangler dev) once for
// the e2e project, on a free port with its own local D1 in a temporary SHOPBEACON_STATE, and
// gives the tests its URL and state directory (inject('baseUrl'), inject('stateDir')). On
// teardown the whole process group (node, wrangler, workerd) is stopped and the state removed.
// It also exports the small helpers the e2e tests share (runSite, siteJson, basicAuth, root).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:PORT, where the Worker answers. */
    baseUrl: string;
    /** The SHOPBEACON_STATE directory of that Worker's local D1 (for `npm run site`). */
    stateDir: string;
  }
}

/** The repository root (where package.json, scripts/ and examples/ are). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run site -- ...args` against the local D1 in stateDir. */
export function runSite(args: string[], stateDir: string): Run {
  const r = spawnSync('npm', ['run', '--silent', 'site', '--', ...args], {
    cwd: root,
    env: { ...process.env, SHOPBEACON_STATE: stateDir, WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export interface SiteKeys {
  siteId: number;
  publicKey: string;
  privateKey: string;
}

/** The JSON object on the last stdout line of `npm run site -- … --json`; throws with the output otherwise. */
export function siteJson(r: Run): SiteKeys {
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    throw new Error(`npm run site exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
  return JSON.parse(last) as SiteKeys;
}

/**
 * `wrangler d1 execute` on the running dev server's local D1 (in stateDir): the rows of the
 * statement's answer. The other test files write to it meanwhile: a statement that meets their
 * write (SQLITE_BUSY) is tried again.
 */
export function d1Execute(sqlText: string, stateDir: string): Record<string, any>[] {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync(process.execPath, [join(root, 'node_modules/wrangler/bin/wrangler.js'), 'd1', 'execute', 'shopbeacon', '--local', '--persist-to', stateDir, '--json', '--command', sqlText], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status === 0) return (JSON.parse(r.stdout) as { results: Record<string, any>[] }[])[0].results;
    const busy = /SQLITE_BUSY|database is locked/.test(r.stdout + r.stderr);
    if (!busy || attempt === 10) throw new Error(`wrangler d1 execute: ${r.stdout}\n${r.stderr}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300 * attempt);
  }
}

export const basicAuth = (publicKey: string, privateKey: string) =>
  `Basic ${Buffer.from(`${publicKey}:${privateKey}`).toString('base64')}`;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** True while any process of the group led by pid exists. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port was taken between freePort() and wrangler binding it: worth another try. */
class PortTaken extends Error {}

/**
 * Until the child says it is ready on this port (so the answer is not from another server that
 * took the port meanwhile) and GET / answers 200.
 */
async function waitReady(baseUrl: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (/address already in use/i.test(output())) throw new PortTaken(output());
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`npm run dev exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    }
    if (output().includes(`Ready on ${baseUrl}`)) {
      try {
        const res = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) return;
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = (e as Error).message;
      }
    }
    await sleep(250);
  }
  throw new Error(`npm run dev did not answer 200 on ${baseUrl}/ within ${READY_TIMEOUT_MS / 1000} s (${last}):\n${output()}`);
}

/** `node scripts/dev.mjs` on a free port with its own state directory, ready to answer. */
async function startDev() {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const stateDir = mkdtempSync(join(tmpdir(), 'shopbeacon-e2e-'));
  const baseUrl = `http://127.0.0.1:${port}`;

  // Its own process group (detached), so teardown can stop wrangler and workerd with it.
  // The output is kept (last 64 KB) for error messages; SHOPBEACON_E2E_VERBOSE=1 shows it live.
  // Webhook retries after 1 s instead of a minute, carts abandoned after 6 s instead of an hour:
  // what the tests wait for happens within them.
  const child = spawn(process.execPath, ['scripts/dev.mjs', '--inspector-port', String(inspectorPort), '--var', 'WEBHOOKS_RETRY_SECONDS:1', '--var', 'COLLECT_RETRY_SECONDS:3', '--var', 'ABANDONED_CART_SECONDS:6'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), SHOPBEACON_STATE: stateDir, WRANGLER_SEND_METRICS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid!;
  // Retried: a dying workerd may still write its SQLite files for a moment.
  const removeState = () => rmSync(stateDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  let log = '';
  const verbose = !!process.env.SHOPBEACON_E2E_VERBOSE;
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      log = (log + chunk).slice(-65_536);
      if (verbose) process.stderr.write(chunk);
    });
  }
  // Should vitest exit without running the teardown (Ctrl-C), take the Worker and its state with it.
  const onExit = () => {
    killGroup(pid, 'SIGKILL');
    removeState();
  };
  process.on('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (groupAlive(pid)) {
      killGroup(pid, 'SIGKILL');
      // Bounded: a killed process that nobody reaps (zombie) still counts as alive here.
      const killDeadline = Date.now() + 5_000;
      while (groupAlive(pid) && Date.now() < killDeadline) await sleep(50);
    }
    process.off('exit', onExit);
    removeState();
  };

  try {
    await waitReady(baseUrl, child, () => log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { baseUrl, stateDir, stop };
}

export default async function setup(project: TestProject) {
  for (let attempt = 1; ; attempt++) {
    try {
      const dev = await startDev();
      project.provide('baseUrl', dev.baseUrl);
      project.provide('stateDir', dev.stateDir);
      return dev.stop;
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt === 3) throw e;
    }
  }
}
