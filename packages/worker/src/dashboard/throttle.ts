// Login throttling: per client IP and public key, 5 failures within 15 minutes close the login
// for the rest of that window (429). Keys are 128 + 256 random bits, so this is about noise and
// stuck scripts more than guessing; it is per key so one office's NAT does not lock a whole shop.
export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;

/** Who is trying: the client's IP (Cloudflare's header; "local" under `wrangler dev` tests) and the key. */
export const loginClient = (ip: string | undefined, publicKey: string) => `${ip || 'local'} ${publicKey.slice(0, 64)}`;

/** Milliseconds until this client may try again, or 0. */
export async function lockedFor(db: D1Database, client: string, now = Date.now()): Promise<number> {
  const row = await db
    .prepare('SELECT failures, window_start FROM login_failures WHERE client = ?')
    .bind(client)
    .first<{ failures: number; window_start: number }>();
  if (!row || row.failures < MAX_FAILURES) return 0;
  return Math.max(0, row.window_start + WINDOW_MS - now);
}

/** Counts a failure (a new window when the last one has ended) and sweeps ended windows. */
export async function recordFailure(db: D1Database, client: string, now = Date.now()) {
  await db.batch([
    db.prepare('DELETE FROM login_failures WHERE window_start <= ?').bind(now - WINDOW_MS),
    db
      .prepare(
        `INSERT INTO login_failures (client, failures, window_start) VALUES (?1, 1, ?2)
         ON CONFLICT (client) DO UPDATE SET failures = failures + 1`,
      )
      .bind(client, now),
  ]);
}

export const clearFailures = (db: D1Database, client: string) => db.prepare('DELETE FROM login_failures WHERE client = ?').bind(client).run();
