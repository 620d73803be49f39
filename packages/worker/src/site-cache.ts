// Site rows cached in the isolate, so most authenticated calls cost no D1 read before their
// write. An entry lives CACHE_TTL_MS at most: a key rotated or a setting changed in another
// isolate (or by the CLI) is seen there within that time; the isolate that makes the change
// drops its entry at once.
import type { SiteRow } from './env';

export type { SiteRow };

export const CACHE_TTL_MS = 5_000;


// null: no site has this public key (so a flood of made-up keys costs D1 one read per key and
// lifetime, not one per request); a site created meanwhile is seen within the lifetime.
// `refused`: hashes of private keys that did not match this row, so a backend repeating an old
// key (or anyone trying keys) does not make every request read the site again.
const entries = new Map<string, { row: SiteRow | null; expires: number; refused: Set<string> }>();

/** The cached row, null when the key is cached as unknown, undefined when not cached. */
export function cachedSite(publicKey: string, now = Date.now()): SiteRow | null | undefined {
  const hit = entries.get(publicKey);
  if (hit && hit.expires > now) return hit.row;
  if (hit) entries.delete(publicKey);
  return undefined;
}

export function cacheSite(publicKey: string, row: SiteRow | null, now = Date.now()) {
  // Bounded: a flood of distinct public keys must not grow the isolate's memory.
  if (entries.size >= 10_000) entries.clear();
  const before = entries.get(publicKey);
  const sameKey = before?.row && row && before.row.privateKeyHash === row.privateKeyHash;
  entries.set(publicKey, { row, expires: now + CACHE_TTL_MS, refused: sameKey ? before.refused : new Set() });
}

/**
 * Whether to read the row again after a private key did not match it, so a rotation made
 * elsewhere is seen at once: not for a key this row already refused (a backend repeating an old
 * key costs one read per cache lifetime, not one per request).
 */
export function shouldReload(publicKey: string, hash: string): boolean {
  return !entries.get(publicKey)?.refused.has(hash);
}

/** A private key's hash that the freshly read row refused. */
export function rememberRefused(publicKey: string, hash: string) {
  const hit = entries.get(publicKey);
  if (hit && hit.refused.size < 64) hit.refused.add(hash);
}

export const forgetSite = (publicKey: string) => entries.delete(publicKey);

/** Drops the site's entry, known by its id (a move switched its database). */
export function forgetSiteId(id: number) {
  for (const [key, hit] of entries) if (hit.row?.id === id) entries.delete(key);
}
