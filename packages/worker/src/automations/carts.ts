// Abandoned carts (cart.abandoned). Every cart event records the visitor's latest cart (the
// carts table, migration 0008). When a cart.updated trigger with items comes off the queue, its
// check is sent back onto the queue with a delay (delaySeconds): the site's abandoned_cart_minutes.
// When the check arrives, one statement decides: the cart is still the visitor's latest, it still
// has items, it has not fired yet, abandoned carts are still on, and no order of that visitor
// (its cookie or its profile) came since. Then cart.abandoned is written in the same batch, with
// the cart and the profile as known now (an email given at checkout included), and enqueued.
// A newer cart replaces the latest one, so the older check finds nothing: the clock restarts.
// Nothing scans carts on a timer; a check that arrives twice fires once (the nonce below).
import type { Env } from '../env';
import { DEFAULT_SETTINGS, withDefaults } from '../settings';
import { requestNonce, sql } from '../sql';
import { CONTROL_DB } from '../tenancy';
import { claimStatement, type OutboxMessage, type Place, sendTriggers, toEnqueue } from './outbox';

type CartCheck = Extract<OutboxMessage, { t: 'cart' }>;

/** Queues hold a message back at most 12 hours; a longer wait is sent again for the rest. */
export const MAX_DELAY_S = 43_200;

/** How long a cart waits: the site's minutes, or ABANDONED_CART_SECONDS (tests). */
export function waitMs(env: Pick<Env, 'ABANDONED_CART_SECONDS'>, minutes: number) {
  const fixed = Number(env.ABANDONED_CART_SECONDS);
  return env.ABANDONED_CART_SECONDS !== undefined && Number.isFinite(fixed) && fixed >= 0 ? fixed * 1000 : minutes * 60_000;
}

async function send(env: Pick<Env, 'TRIGGERS'>, check: CartCheck, now: number) {
  const delaySeconds = Math.min(MAX_DELAY_S, Math.max(0, Math.ceil((check.due - now) / 1000)));
  await env.TRIGGERS!.send(check, { contentType: 'json', delaySeconds });
}

/** A cart.updated trigger came off the queue: if it is its visitor's latest cart, start its clock. */
export async function startClock(env: Pick<Env, 'TRIGGERS' | 'ABANDONED_CART_SECONDS'>, db: D1Database, triggerId: number, site: Place, now: number) {
  const row = await db.prepare(
    `SELECT t.site_id, t.at, s.settings FROM triggers t JOIN sites s ON s.id = t.site_id
     JOIN carts c ON c.site_id = t.site_id AND c.sbt = t.data ->> '$.profile.customer_cookie'
     WHERE t.id = ?1 AND t.type = 'cart.updated' AND c.trigger_id = t.id AND c.items > 0`,
  )
    .bind(triggerId)
    .first<{ site_id: number; at: number; settings: string }>();
  if (!row) return false; // a newer cart, or an emptied one, came first
  const minutes = withDefaults(JSON.parse(row.settings)).abandoned_cart_minutes;
  if (!minutes) return false;
  await send(env, { t: 'cart', id: triggerId, site: row.site_id, due: row.at + waitMs(env, minutes), db: site.db }, now);
  return true;
}

/**
 * The cart's time is up (or, past 12 hours, it waits again): fire cart.abandoned if it still holds.
 * Answers fired, done (it did not hold), waiting (sent again for the rest), or missing: its
 * trigger is not in this database (the site moved: deliver.ts looks in the new one).
 */
export async function checkCart(env: Pick<Env, 'TRIGGERS'>, db: D1Database, check: CartCheck, now: number): Promise<'fired' | 'done' | 'waiting' | 'missing'> {
  if (check.due > now + 1000) return await send(env, check, now), 'waiting';
  const nonce = requestNonce();
  const { id, site } = check;
  const visitor = sql`(SELECT data ->> '$.profile.customer_cookie' FROM triggers WHERE id = ${id})`;
  const results = await db.batch(
    [
      sql`UPDATE carts SET abandoned_at = ${now}, abandoned_in = ${nonce}
          WHERE site_id = ${site} AND sbt = ${visitor} AND trigger_id = ${id} AND items > 0 AND abandoned_at IS NULL
            AND coalesce((SELECT settings ->> '$.abandoned_cart_minutes' FROM sites WHERE id = ${site}), ${DEFAULT_SETTINGS.abandoned_cart_minutes}) > 0
            AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.site_id = carts.site_id AND o.updated_at >= carts.at AND o.received_at >= carts.at
                            AND (o.profile_id = carts.profile_id OR o.profile_id IN (SELECT id FROM profiles WHERE site_id = carts.site_id AND cookie = carts.sbt)))`,
      sql`INSERT INTO triggers (site_id, uid, type, identifier, at, profile_id, data)
          SELECT c.site_id, 'trg_' || lower(hex(randomblob(12))), 'cart.abandoned', 'abandoned_cart', ${now}, p.id,
                 json_object('profile', json_object('customer_email', p.email, 'external_id', p.external_id, 'customer_cookie', c.sbt),
                             'cart', t.data -> '$.cart', 'event_id', t.data ->> '$.event_id',
                             'cart_updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', c.at / 1000.0, 'unixepoch'))
          FROM carts c JOIN triggers t ON t.id = c.trigger_id
          LEFT JOIN profiles p ON p.id = (SELECT id FROM profiles WHERE site_id = c.site_id AND (id = c.profile_id OR cookie = c.sbt)
                                          ORDER BY email IS NULL, updated_at DESC LIMIT 1)
          WHERE c.site_id = ${site} AND c.sbt = ${visitor} AND c.abandoned_in = ${nonce}`,
      claimStatement(site, now),
      sql`SELECT 1 FROM triggers WHERE id = ${id}`,
    ].map((s) => db.prepare(s.sql).bind(...s.params)),
  );
  if (!results[3].results.length) return 'missing';
  await sendTriggers(env, toEnqueue(results[2]), { id: site, db: check.db ?? CONTROL_DB });
  return results[1].meta.changes > 0 ? 'fired' : 'done';
}
