// Rotating the private key from the dashboard. It asks for the current key: an open session
// alone (a cookie taken from the merchant's browser, a computer left logged in) must not be
// enough to take the key from its owner and lock them out of their API. It also revokes the
// site's share links unless the merchant keeps them: a rotation often means something leaked.
import { timingSafeEqual } from 'hono/utils/buffer';
import { hashKey } from '../keys';

/**
 * Whether `key` is the site's private key now: its hash, read from D1 (not the isolate cache,
 * which may hold a key rotated elsewhere a moment ago), compared in constant time, as
 * auth.ts does. Null when the site is gone.
 */
export async function isCurrentPrivateKey(db: D1Database, siteId: number, key: string): Promise<boolean | null> {
  const stored = await db.prepare('SELECT private_key_hash FROM sites WHERE id = ?').bind(siteId).first<string>('private_key_hash');
  if (stored === null) return null;
  return timingSafeEqual(stored, await hashKey(key));
}

/** What a rotation did to the share links: how many it revoked that still opened, or how many it kept open. */
export type LinksAfterRotation = { revoked: number } | { kept: number };

/** The sentence the settings page shows about the share links after a rotation. */
export function linksNotice(after: LinksAfterRotation): string {
  if ('kept' in after) return after.kept ? `Share links kept: ${after.kept} still open${after.kept === 1 ? 's' : ''}.` : 'Share links kept: there was none open.';
  if (!after.revoked) return 'There was no open share link to revoke.';
  if (after.revoked === 1) return '1 share link revoked: it no longer opens. Create a new one on the Share page.';
  return `${after.revoked} share links revoked: they no longer open. Create new ones on the Share page.`;
}
