// HTTP Basic auth with the site's keys (public key as user, private key as password), for every
// /api/* route. Seed 003's PHP client uses CURLAUTH_ANY: it sends credentials only after a 401
// that carries a Basic challenge, so the challenge is always there.
import { basicAuth } from 'hono/basic-auth';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { AppEnv, Site } from './env';
import { hashKey, PUBLIC_KEY } from './keys';
import { executionCtx } from './context';
import { problemBody } from './problem';
import { recordRejection } from './rejections';
import { withDefaults } from './settings';
import { siteDb } from './tenancy';
import { cachedSite, cacheSite, rememberRefused, shouldReload, type SiteRow } from './site-cache';

async function loadSite(db: D1Database, publicKey: string): Promise<SiteRow | null> {
  const row = await db
    .prepare('SELECT id, private_key_hash, settings, db FROM sites WHERE public_key = ?1')
    .bind(publicKey)
    .first<{ id: number; private_key_hash: string; settings: string; db: string }>();
  const site = row && { id: row.id, publicKey, privateKeyHash: row.private_key_hash, settings: withDefaults(JSON.parse(row.settings)), db: row.db };
  cacheSite(publicKey, site);
  return site;
}

/**
 * The site these keys open, or null. The private key is hashed and compared in constant time
 * with the stored hash. A cached row is trusted only when the key matches it; on a mismatch the
 * row is read again, so a key rotated elsewhere works here at once (and the old one stops
 * within the cache lifetime).
 */
export async function siteForKeys(db: D1Database, publicKey: string, privateKey: string): Promise<Site | null> {
  if (!PUBLIC_KEY.test(publicKey)) return null;
  const hash = await hashKey(privateKey);
  const cached = cachedSite(publicKey);
  if (cached === null) return null; // no such site, a moment ago
  if (cached && (await timingSafeEqual(cached.privateKeyHash, hash))) return publicPart(cached);
  if (cached && !shouldReload(publicKey, hash)) return null;
  const fresh = await loadSite(db, publicKey);
  if (fresh && (await timingSafeEqual(fresh.privateKeyHash, hash))) return publicPart(fresh);
  if (fresh) rememberRefused(publicKey, hash);
  return null;
}

/** The site of a public key alone (the tracker's endpoint), from the isolate cache when fresh. */
export async function siteByPublicKey(db: D1Database, publicKey: string): Promise<Site | null> {
  if (!PUBLIC_KEY.test(publicKey)) return null;
  const cached = cachedSite(publicKey);
  const row = cached === undefined ? await loadSite(db, publicKey) : cached;
  return row && publicPart(row);
}

/** The row without its private key's hash: nothing past auth needs it. */
const publicPart = ({ privateKeyHash: _, ...site }: SiteRow): Site => site;

export const REALM = 'shopbeacon';

export const requireSiteKeys = () =>
  basicAuth({
    realm: REALM,
    verifyUser: async (user, password, c) => {
      const site = await siteForKeys(c.env.DB, user, password);
      if (site) {
        c.set('site', site);
        c.set('db', siteDb(c.env, site));
      } else {
        // A real public key with a wrong private key: a shop backend with an old key. Worth
        // showing the merchant (the row is in the cache: loadSite put it there).
        const known = PUBLIC_KEY.test(user) ? cachedSite(user) : undefined;
        if (known)
          recordRejection(executionCtx(c), siteDb(c.env, known), known.id, {
            method: c.req.method,
            route: c.req.path,
            problem: { status: 401, code: 'unauthorized', message: 'Wrong private key for this public key.', fields: [{ field: 'authorization', reason: 'the private key does not match (rotated?)' }] },
            sent: '',
            channel: 'public', // anyone with the public key can send this
          });
      }
      return site !== null;
    },
    invalidUserMessage: (c) =>
      problemBody({
        status: 401,
        code: 'unauthorized',
        message: c.req.header('authorization')
          ? 'Wrong public or private key.'
          : 'Send your site keys with HTTP Basic auth: public key as user name, private key as password.',
      }),
  }) as unknown as import('hono').MiddlewareHandler<AppEnv>;
