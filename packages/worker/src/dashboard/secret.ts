// The key that signs dashboard session cookies and derives their CSRF tokens: env
// SESSION_SECRET when set (e.g. `wrangler secret put SESSION_SECRET`), else the random one
// migration 0004 wrote into `meta`, so a fresh deployment needs no configuration.
import type { Env } from '../env';
import { base64url } from '../keys';

let stored: Promise<string> | undefined;

export function sessionSecret(env: Env & { SESSION_SECRET?: string }): Promise<string> {
  if (env.SESSION_SECRET) return Promise.resolve(env.SESSION_SECRET);
  // Read once per isolate: it never changes for a database.
  stored ??= env.DB.prepare("SELECT value FROM meta WHERE key = 'session_secret'")
    .first<string>('value')
    .then((v) => {
      if (!v) throw new Error('meta.session_secret is missing: apply migration 0004');
      return v;
    });
  stored.catch(() => (stored = undefined));
  return stored;
}


/** 256 random bits, base64url: session ids and share tokens. */
export const randomToken = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** HMAC-SHA-256 of a message, base64url. */
export async function hmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message))));
}
