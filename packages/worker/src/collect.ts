// The tracker's endpoint: POST /collect takes a batch of events (text/plain JSON, as
// sendBeacon sends it), GET /collect takes one event in the query string ("mode GET", seed 000).
// Both go through the server API's validation, and account/order/optin events through its
// profile and order upserts (source "tracker"): one write path.
import { type CheckedEvent, checkEvent, type FieldError, GET_MODE_EVENTS, isPlainObject, LIMITS, type UpdateInput } from '@shopbeacon/protocol';
import { orderStatements, runBatch, undeclaredCustomFields, type IngestSite } from './ingest';
import { invalidFields, ProblemError } from './problem';
import { type Guard, type Stmt, updateProfileByCookie, upsertProfile } from './profiles';

export interface CollectInput {
  key: unknown;
  visit: boolean;
  events: CheckedEvent[];
  /** A POST batch (fields are named events[i].…) or a GET query (fields named as they are). */
  batch: boolean;
}

const at = (input: CollectInput, i: number) => (input.batch ? `events[${i}].` : '');

const problem = (status: 400 | 403, code: string, message: string, fields: FieldError[] = []) =>
  new ProblemError({ status, code, message, fields });

/** A POST body: { key?, visit?, events: [...] }. The key may also come in the query string. */
export function checkBatch(body: unknown, queryKey: string | undefined): CollectInput {
  if (!isPlainObject(body)) throw invalidFields([{ field: 'body', reason: 'must be a JSON object: { "key": "pk_…", "events": [ … ] }' }]);
  const errors: FieldError[] = [];
  for (const k of Object.keys(body))
    if (k !== 'key' && k !== 'visit' && k !== 'events') errors.push({ field: k.slice(0, 64), reason: 'unknown; a batch has key, visit, events' });
  const list = body.events;
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.eventsPerBatch)
    errors.push({ field: 'events', reason: `must be a list of 1 to ${LIMITS.eventsPerBatch} events` });
  const events: CheckedEvent[] = [];
  if (Array.isArray(list))
    list.slice(0, LIMITS.eventsPerBatch).forEach((ev, i) => {
      const checked = checkEvent(ev, `events[${i}].`);
      errors.push(...checked.errors);
      events.push(checked.values);
    });
  if (errors.length) throw invalidFields(errors);
  return { key: body.key ?? queryKey, visit: body.visit === 1 || body.visit === true, events, batch: true };
}

/** A GET query, parsed like a form body: key, type, id, ts, sbt, visit and data[...]. */
export function checkQuery(query: unknown): CollectInput {
  const q = isPlainObject(query) ? query : {};
  const { key, visit, ...event } = q;
  const checked = checkEvent(event);
  if (checked.errors.length) throw invalidFields(checked.errors);
  return { key, visit: visit === '1', events: [checked.values], batch: false };
}

/** Browser-sent get-mode events need the site's get_mode setting on (seed 000). */
export function refuseWithoutGetMode(site: IngestSite, input: CollectInput) {
  if (site.settings.get_mode) return;
  const refused = input.events.map((ev, i) => ({ ev, i })).filter(({ ev }) => GET_MODE_EVENTS.includes(ev.type));
  if (!refused.length) return;
  throw problem(
    403,
    'get_mode_off',
    'This site takes accounts, orders and opt-ins from the browser only in GET mode: turn get_mode on in the tracker settings, or send them from your server with /api/updateOrder and /api/updateCustomer.',
    refused.map(({ ev, i }) => ({ field: `${at(input, i)}type`, reason: `${ev.type} events need get_mode on` })),
  );
}

/**
 * Every write of a request in one batch: each event row (a duplicate id is dropped), then, for
 * account/order/optin, the upserts, guarded so that they run only when this request wrote the
 * event row: a retried event changes nothing.
 */
export function collectStatements(site: IngestSite, input: CollectInput, now: number, requestId: number): Stmt[] {
  const stmts: Stmt[] = [];
  const fieldErrors: FieldError[] = [];
  input.events.forEach((ev, i) => {
    stmts.push({
      sql: `INSERT INTO events (site_id, event_id, type, sbt, data, client_ts, received_at, request_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, event_id) DO NOTHING`,
      params: [site.id, ev.id, ev.type, ev.sbt, JSON.stringify(ev.data), ev.ts, now, requestId],
    });
    if (!ev.profile) return;
    const guard: Guard = { sql: 'EXISTS (SELECT 1 FROM events WHERE site_id = ? AND event_id = ? AND request_id = ?)', params: [site.id, ev.id, requestId] };
    // The browser knows its visitor: the profile remembers this sbt, joining its events.
    const profile = { customer_cookie: ev.sbt, ...ev.profile };
    fieldErrors.push(...undeclaredCustomFields(profile, site.settings, `${at(input, i)}data`));
    if (ev.type === 'order') stmts.push(...orderStatements(site, { profile, order: ev.order } as Required<UpdateInput>, 'tracker', now, guard).stmts);
    else if (profile.customer_email !== undefined || profile.external_id !== undefined)
      stmts.push(...upsertProfile(site.id, profile, site.settings, 'tracker', now, guard));
    else stmts.push(updateProfileByCookie(site.id, ev.sbt, profile, site.settings, now, guard));
  });
  if (fieldErrors.length) throw invalidFields(fieldErrors);
  return stmts;
}

export async function collect(db: D1Database, site: IngestSite, input: CollectInput, now = Date.now()) {
  refuseWithoutGetMode(site, input);
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  const requestId = (hi >>> 11) * 2 ** 32 + lo; // 53 random bits: a safe integer
  await runBatch(db, collectStatements(site, input, now, requestId));
}

/**
 * The domain to set the sbt cookie on from this response, when the shop page and this Worker are
 * same-site (their longest common host suffix of at least two labels; a public suffix such as
 * co.uk is refused by the browser itself), '' for the same host or loopback (a host-only
 * cookie), or null when they are cross-site: a third-party cookie would not help.
 */
export function cookieDomain(pageHost: string, workerHost: string): string | null {
  if (pageHost === workerHost) return '';
  const loopback = (h: string) => h === 'localhost' || h === '127.0.0.1' || h === '[::1]';
  if (/^[\d.]+$|^\[/.test(pageHost) || /^[\d.]+$|^\[/.test(workerHost) || loopback(pageHost) || loopback(workerHost)) return null;
  const a = pageHost.split('.').reverse();
  const b = workerHost.split('.').reverse();
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n >= 2 ? a.slice(0, n).reverse().join('.') : null;
}
