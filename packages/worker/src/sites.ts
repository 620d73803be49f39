// Sites and their keys. The SQL lives here once; the Worker runs it with bound parameters and
// the `npm run site` CLI inlines the same statements for `wrangler d1 execute`.
import { hashKey, newPrivateKey, newPublicKey } from './keys';
import { forgetSite } from './site-cache';

export const INSERT_SITE =
  'INSERT INTO sites (name, public_key, private_key_hash, key_rotated_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id';
export const ROTATE_KEY = 'UPDATE sites SET private_key_hash = ?2, key_rotated_at = ?3 WHERE public_key = ?1 RETURNING id';

export interface IssuedKeys {
  publicKey: string;
  privateKey: string;
  privateKeyHash: string;
}

export function checkSiteName(name: unknown): string | null {
  if (typeof name !== 'string' || !name.trim()) return 'a site needs a name';
  if (name.length > 100) return 'a site name is at most 100 characters';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a site name has no control characters';
  return null;
}

export async function issueKeys(publicKey = newPublicKey()): Promise<IssuedKeys> {
  const privateKey = newPrivateKey();
  return { publicKey, privateKey, privateKeyHash: await hashKey(privateKey) };
}

export const insertSiteParams = (name: string, keys: IssuedKeys, now: number) => [name.trim(), keys.publicKey, keys.privateKeyHash, now];
export const rotateKeyParams = (keys: IssuedKeys, now: number) => [keys.publicKey, keys.privateKeyHash, now];

/** Creates a site; the returned private key is the only copy there will ever be. */
export async function createSite(db: D1Database, name: string, now = Date.now()) {
  const problem = checkSiteName(name);
  if (problem) throw new Error(problem);
  const keys = await issueKeys();
  const row = await db.prepare(INSERT_SITE).bind(...insertSiteParams(name, keys, now)).first<{ id: number }>();
  return { siteId: row!.id, publicKey: keys.publicKey, privateKey: keys.privateKey };
}

/**
 * Replaces a site's private key; the old one stops working. The `alongside` statements commit
 * with it, in one batch (all or nothing), and their results come back in that order. Null when
 * no site has that public key.
 */
export async function rotatePrivateKey(db: D1Database, publicKey: string, alongside: D1PreparedStatement[] = [], now = Date.now()) {
  const keys = await issueKeys(publicKey);
  const [rotated, ...results] = await db.batch([db.prepare(ROTATE_KEY).bind(...rotateKeyParams(keys, now)), ...alongside]);
  forgetSite(publicKey);
  const row = rotated.results[0] as { id: number } | undefined;
  return row ? { siteId: row.id, publicKey, privateKey: keys.privateKey, alongside: results } : null;
}

/** An SQL literal, for the CLI's `wrangler d1 execute --command` (it takes no parameters). */
export function sqlLiteral(v: string | number): string {
  return typeof v === 'number' ? String(Math.trunc(v)) : `'${v.replace(/'/g, "''")}'`;
}

/** The statement with its ?N parameters written in as literals. */
export const inlineParams = (sql: string, params: (string | number)[]) =>
  sql.replace(/\?(\d+)/g, (_, n: string) => sqlLiteral(params[+n - 1]));
