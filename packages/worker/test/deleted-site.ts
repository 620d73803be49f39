// A site deleted from D1 behind the Worker's back (`wrangler d1 execute`: there is no command
// for it). D1 enforces foreign keys, so its rows go first: its dashboard sessions and share
// links with them.
import { env } from 'cloudflare:workers';
import { forgetSite } from '../src/site-cache';
import type { TestSite } from './helpers';

// Children before parents: orders name profiles, deliveries their triggers and webhooks.
const DEPENDENTS = ['dashboard_sessions', 'share_links', 'rejections', 'deliveries', 'triggers', 'webhooks', 'carts', 'events', 'orders', 'profiles'];

export async function deleteSite(site: TestSite, db = env.DB) {
  await db.batch([
    ...DEPENDENTS.map((table) => db.prepare(`DELETE FROM ${table} WHERE site_id = ?`).bind(site.siteId)),
    db.prepare('DELETE FROM sites WHERE id = ?').bind(site.siteId),
  ]);
  // Every isolate's key cache lets go of it within CACHE_TTL_MS; the tests need not wait.
  forgetSite(site.publicKey);
}

/** The lookup a request checks its credential with: its session row, or its share link's. */
const CHECKS = { session: 'FROM dashboard_sessions d', 'share link': 'FROM share_links l' } as const;

/**
 * Runs `request` with the site deleted the moment the request's check of its session (or
 * share link) has passed: a deletion landing between that check and the page's own reads. The
 * Worker under test runs in this isolate with this env, so the test wraps env.DB.
 */
export async function deletedMidRequest<T>(site: TestSite, check: keyof typeof CHECKS, request: () => Promise<T>): Promise<T> {
  const db = env.DB;
  let deleted = false;
  const deleteAfterFirst = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, key) {
        if (key === 'bind') return (...values: unknown[]) => deleteAfterFirst(target.bind(...values));
        if (key === 'first')
          return async (column?: string) => {
            const row = await (column === undefined ? target.first() : target.first(column));
            if (!deleted) await deleteSite(site, db);
            deleted = true;
            return row;
          };
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  env.DB = new Proxy(db, {
    get(target, key) {
      if (key === 'prepare') return (sql: string) => (sql.includes(CHECKS[check]) ? deleteAfterFirst(target.prepare(sql)) : target.prepare(sql));
      const v = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  try {
    return await request();
  } finally {
    env.DB = db;
  }
}
