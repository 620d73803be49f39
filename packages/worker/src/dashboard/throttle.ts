// Login throttling: per client IP and public key, 5 failures within 15 minutes close the login
// for the rest of that window (429). Every attempt with a key shaped like a public key is counted
// before the keys are checked (the login refuses other shapes without writing), and a
// success clears the count, so the count is the failures plus the attempt in hand. Keys are 128 + 256 random bits, so this is about noise and
// stuck scripts more than guessing; it is per key so one office's NAT does not lock a whole shop.
export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;

/** Who is trying: the client's IP (Cloudflare's header; "local" under `wrangler dev` tests) and the key. */
export const loginClient = (ip: string | undefined, publicKey: string) => `${ip || 'local'} ${publicKey.slice(0, 64)}`;

/**
 * Counts a login attempt before the keys are checked, in one atomic upsert (ended windows swept
 * first), so that concurrent attempts cannot all pass a count read before any was written.
 * Answers the attempt's number in the window, and the milliseconds until the window ends.
 */
export async function countAttempt(db: D1Database, client: string, now = Date.now()) {
  const [, counted] = await db.batch<{ failures: number; window_start: number }>([
    db.prepare('DELETE FROM login_failures WHERE window_start <= ?').bind(now - WINDOW_MS),
    db
      .prepare(
        `INSERT INTO login_failures (client, failures, window_start) VALUES (?1, 1, ?2)
         ON CONFLICT (client) DO UPDATE SET failures = failures + 1
         RETURNING failures, window_start`,
      )
      .bind(client, now),
  ]);
  const row = counted.results[0];
  return { attempt: row.failures, wait: Math.max(0, row.window_start + WINDOW_MS - now) };
}

/** A success: the count starts again. */
export const clearFailures = (db: D1Database, client: string) => db.prepare('DELETE FROM login_failures WHERE client = ?').bind(client).run();
