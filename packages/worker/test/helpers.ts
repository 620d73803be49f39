import { env, exports } from 'cloudflare:workers';
import { createSite } from '../src/sites';
import { phpQuery } from './bodies';

// Kept in bodies.ts (no cloudflare:* import, so the benchmark imports them too), re-exported here.
export { phpQuery, seedOrder } from './bodies';

/** The Worker under test (its default export), called like a client would. */
export const SELF = (exports as unknown as { default: Fetcher }).default;

export interface TestSite {
  siteId: number;
  publicKey: string;
  privateKey: string;
  auth: string;
}

let n = 0;
export async function newSite(name = `shop ${++n}`): Promise<TestSite> {
  const site = await createSite(env.DB, name);
  return { ...site, auth: `Basic ${btoa(`${site.publicKey}:${site.privateKey}`)}` };
}

export function post(site: TestSite, path: string, body: unknown, type: 'form' | 'json' = 'form') {
  return SELF.fetch(`https://tracker.test${path}`, {
    method: 'POST',
    headers: {
      authorization: site.auth,
      'content-type': type === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
    },
    body: type === 'form' ? phpQuery(body) : JSON.stringify(body),
  });
}

export const get = (site: TestSite, path: string) =>
  SELF.fetch(`https://tracker.test${path}`, { headers: { authorization: site.auth } });

export const put = (site: TestSite, path: string, body: unknown) =>
  SELF.fetch(`https://tracker.test${path}`, {
    method: 'PUT',
    headers: { authorization: site.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
