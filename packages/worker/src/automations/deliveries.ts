// The deliveries view (what was sent where, and how it went), and "send again": webhooks and
// opt-in callbacks alike (endpoint.kind tells them apart).
import { siteDb } from '../tenancy';
import { ProblemError } from '../problem';
import type { Env } from '../env';
import { webhookId } from './deliver';
import type { OutboxMessage, Place } from './outbox';
import { idOf } from './webhooks';

export const RECENT_DELIVERIES_LIMIT = 200;

// Served by deliveries_site_recent (site_id [, rowid]): no sort step.
export const RECENT_DELIVERIES_SQL = `
  SELECT d.id, d.status, d.attempts, d.last_status, d.last_error, d.last_at, d.created_at, d.webhook_id, w.url, w.kind, t.uid, t.type, t.identifier
  FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN triggers t ON t.id = d.trigger_id
  WHERE d.site_id = ? ORDER BY d.id DESC LIMIT ${RECENT_DELIVERIES_LIMIT}`;

type Row = { id: number; status: string; attempts: number; last_status: number | null; last_error: string | null; last_at: number | null; created_at: number; webhook_id: number; url: string; kind: string; uid: string; type: string; identifier: string | null };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function recentDeliveries(db: D1Database, siteId: number) {
  const { results } = await db.prepare(RECENT_DELIVERIES_SQL).bind(siteId).all<Row>();
  return results.map((r) => ({
    id: r.id,
    webhook_id: webhookId(r.uid, r.webhook_id),
    trigger: { id: r.uid, type: r.type, identifier: r.identifier },
    endpoint: { id: r.webhook_id, url: r.url, kind: r.kind },
    status: r.status,
    attempts: r.attempts,
    last_status: r.last_status,
    last_error: r.last_error,
    last_at: iso(r.last_at),
    created_at: iso(r.created_at),
  }));
}

/** Sends a delivery again (same webhook-id): pending again, and on the queue. */
export async function sendAgain(env: Env, site: Place, id: string) {
  const row = await siteDb(env, site).prepare(`UPDATE deliveries SET status = 'pending' WHERE id = ?1 AND site_id = ?2 RETURNING id`).bind(idOf(id), site.id).first<{ id: number }>();
  if (!row) throw new ProblemError({ status: 404, code: 'not_found', message: `No delivery ${id.slice(0, 20)} on this site.` });
  if (!env.TRIGGERS) throw new ProblemError({ status: 409, code: 'no_queue', message: 'This deployment has no TRIGGERS queue: deliveries cannot be sent.' });
  await env.TRIGGERS.send({ t: 'delivery', id: row.id, s: site.id, db: site.db } satisfies OutboxMessage, { contentType: 'json' });
}
