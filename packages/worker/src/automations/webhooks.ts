// A site's webhook endpoints: registered with the events they want, listed without secrets,
// removed, their secret rotated. The secret is shown once, when issued. The opt-in callbacks'
// rows (kind optin_callback, optout_callback: callbacks.ts) are the settings', not endpoints:
// never listed, counted, removed or rotated here.
import type { FieldError } from '@shopbeacon/protocol';
import { invalidFields, ProblemError } from '../problem';
import { newWebhookSecret } from './signature';
import { endpointProblem } from './targets';

/** What a trigger can be: the types an endpoint subscribes to ("*" for every one). */
export const TRIGGER_TYPES = [
  'order.created',
  'order.state_changed',
  'order.amount_changed',
  'profile.created',
  'profile.updated',
  'consent.updated',
  'cart.updated',
  'cart.abandoned',
  'manual',
] as const;

export const WEBHOOKS_PER_SITE = 20;

interface WebhookRow {
  id: number;
  url: string;
  events: string;
  created_at: number;
  rotated_at: number | null;
}

const view = (r: WebhookRow) => ({
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  created_at: new Date(r.created_at).toISOString(),
  rotated_at: r.rotated_at === null ? null : new Date(r.rotated_at).toISOString(),
});

/** Checks POST /api/webhooks' body: { url, events }. */
export function checkWebhook(body: unknown, allowLocal: boolean): { url: string; events: string[] } {
  const errors: FieldError[] = [];
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  for (const k of Object.keys(b)) if (k !== 'url' && k !== 'events') errors.push({ field: k.slice(0, 64), reason: 'unknown; a webhook has url and events' });
  const urlProblem = endpointProblem(b.url, allowLocal);
  if (urlProblem) errors.push({ field: 'url', reason: urlProblem });
  const events = b.events;
  const known = ['*', ...TRIGGER_TYPES] as string[];
  if (!Array.isArray(events) || events.length === 0 || events.length > known.length)
    errors.push({ field: 'events', reason: `must be a list of trigger types (${TRIGGER_TYPES.join(', ')}) or ["*"]` });
  else
    events.forEach((e, i) => {
      if (typeof e !== 'string' || !known.includes(e)) errors.push({ field: `events[${i}]`, reason: `must be one of: *, ${TRIGGER_TYPES.join(', ')}` });
    });
  if (errors.length) throw invalidFields(errors);
  return { url: b.url as string, events: [...new Set(events as string[])] };
}

export async function createWebhook(db: D1Database, siteId: number, input: { url: string; events: string[] }, now = Date.now()) {
  const secret = newWebhookSecret();
  const row = await db
    .prepare(
      `INSERT INTO webhooks (site_id, url, events, secret, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5 FROM sites WHERE id = ?1 AND (SELECT count(*) FROM webhooks WHERE site_id = ?1 AND kind = 'webhook') < ${WEBHOOKS_PER_SITE}
       RETURNING id, url, events, created_at, rotated_at`,
    )
    .bind(siteId, input.url, JSON.stringify(input.events), secret, now)
    .first<WebhookRow>();
  // A site deleted since its keys (or session) were checked: nothing to add to.
  if (!row && !(await db.prepare('SELECT 1 FROM sites WHERE id = ?').bind(siteId).first()))
    throw new ProblemError({ status: 404, code: 'not_found', message: 'No such site: it was deleted.' });
  if (!row) throw invalidFields([{ field: 'url', reason: `a site has at most ${WEBHOOKS_PER_SITE} webhooks: remove one first` }]);
  return { ...view(row), secret };
}

export async function listWebhooks(db: D1Database, siteId: number) {
  const { results } = await db.prepare("SELECT id, url, events, created_at, rotated_at FROM webhooks WHERE site_id = ? AND kind = 'webhook' ORDER BY id").bind(siteId).all<WebhookRow>();
  return results.map(view);
}

const notFound = (id: string) => new ProblemError({ status: 404, code: 'not_found', message: `No webhook ${id.slice(0, 20)} on this site.` });
/** A row id from a URL segment; -1 (no row) for anything that is not one. */
export const idOf = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : -1);

/** Removes an endpoint and its deliveries; 404 when the site has no such webhook. */
export async function deleteWebhook(db: D1Database, siteId: number, id: string) {
  const [, gone] = await db.batch([
    db.prepare("DELETE FROM deliveries WHERE webhook_id = (SELECT id FROM webhooks WHERE id = ?1 AND site_id = ?2 AND kind = 'webhook')").bind(idOf(id), siteId),
    db.prepare("DELETE FROM webhooks WHERE id = ?1 AND site_id = ?2 AND kind = 'webhook' RETURNING id").bind(idOf(id), siteId),
  ]);
  if (!gone.results.length) throw notFound(id);
}

/** A new secret; the old one stops signing at once. */
export async function rotateWebhookSecret(db: D1Database, siteId: number, id: string, now = Date.now()) {
  const secret = newWebhookSecret();
  const row = await db
    .prepare("UPDATE webhooks SET secret = ?1, rotated_at = ?2 WHERE id = ?3 AND site_id = ?4 AND kind = 'webhook' RETURNING id, url, events, created_at, rotated_at")
    .bind(secret, now, idOf(id), siteId)
    .first<WebhookRow>();
  if (!row) throw notFound(id);
  return { ...view(row), secret };
}
