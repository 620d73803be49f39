// An oversize body sent chunked (no Content-Length) through `npm run dev`: the Worker answers 413
// (or 401 for wrong keys, before reading it) and the next request, on any route, is answered at
// once. Hono's bodyLimit stopped reading such a body at the limit, a refusal did not read it at
// all, and wrangler's local proxy then failed the next request (a 500, or a hang of 15 s and
// more); the Worker now reads and drops up to DRAIN_BYTES of what is left (body.ts).
import { request } from 'node:http';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { LIMITS } from '@shopbeacon/protocol';
import { DRAIN_BYTES } from '../../packages/worker/src/body';
import { basicAuth, runSite, siteJson } from './global-setup';

/** POSTs `bytes` in 16 KB chunks with Transfer-Encoding: chunked; answers the status. */
function chunked(path: string, bytes: number, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${inject('baseUrl')}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(16 * 1024, 'a');
    for (let sent = 0; sent < bytes; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

const promptly = async (path: string) => {
  const res = await fetch(`${inject('baseUrl')}${path}`, { signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return { status: res.status };
};

describe('an oversize chunked body', () => {
  let auth = '';
  beforeAll(() => {
    const site = siteJson(runSite(['create', '--name', 'Oversize e2e', '--json'], inject('stateDir')));
    auth = basicAuth(site.publicKey, site.privateKey);
  });

  const cases: [string, string, () => string, number][] = [
    ['/collect', 'the tracker', () => '', 413],
    ['/api/updateOrder', 'the right keys', () => auth, 413],
    ['/api/updateOrder', 'wrong keys (refused before the body is read)', () => basicAuth('pk_AAAAAAAAAAAAAAAAAAAAAA', 'sk_wrong'), 401],
  ];
  for (const [path, who, authorization, status] of cases)
    it(`to ${path} with ${who}: ${status}, and the next requests are answered at once`, async () => {
      for (const bytes of [LIMITS.bodyBytes + 16 * 1024, 4 * LIMITS.bodyBytes, DRAIN_BYTES - 16 * 1024]) {
        expect(await chunked(path, bytes, authorization()), `${bytes} bytes`).toBe(status);
        for (const next of ['/', '/sdk.js']) {
          const r = await promptly(next);
          expect(r.status, `${next} after ${bytes} bytes to ${path}`).toBe(200); // a hang fails too: aborted after 10 s
        }
      }
    });
});
