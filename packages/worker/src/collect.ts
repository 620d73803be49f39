// The tracker's endpoint: POST /collect takes a batch of events (text/plain JSON, as
// sendBeacon sends it), GET /collect takes one event in the query string ("mode GET", seed 000).
// Both go through the server API's validation, and account/order/optin events through its
// profile and order upserts (source "tracker"): one write path.
//
// Each event of a batch stands alone: a beacon never sees its answer, so one bad event must not
// take the page views sent with it down. Refused events are named in a 4xx answer (and in the
// rejected-requests log); the others are taken.
import { type CheckedEvent, checkEvent, EVENTS, type FieldError, GET_MODE_EVENTS, isPlainObject, LIMITS, redactEmails, type UpdateInput } from '@shopbeacon/protocol';
import { claimStatement, type Enqueued, toEnqueue } from './automations/outbox';
import { orderStatements, runBatch, storeError, undeclaredCustomFields, type IngestSite } from './ingest';
import { invalidFields, type Problem } from './problem';
import { isAccountWrite, updateProfileByCookie, upsertProfile } from './profiles';
import { type Guard, requestNonce, type Stmt } from './sql';

export interface CollectInput {
  key: unknown;
  /**
   * The events as checked, in the order sent; `errors` set on those refused, with `refusal` saying
   * why when it is not bad data: GET mode off (403).
   */
  events: (CheckedEvent & { errors?: FieldError[]; refusal?: 'get_mode' })[];
  /** A POST batch (fields are named events[i].…) or a GET query (fields named as they are). */
  batch: boolean;
}

const at = (input: CollectInput, i: number) => (input.batch ? `events[${i}].` : '');

/** A POST body: { key?, events: [...] }. The key may also come in the query string; `visit` (earlier SDKs) is ignored. */
export function checkBatch(body: unknown, queryKey: string | undefined): CollectInput {
  if (!isPlainObject(body)) throw invalidFields([{ field: 'body', reason: 'must be a JSON object: { "key": "pk_…", "events": [ … ] }' }]);
  const errors: FieldError[] = [];
  for (const k of Object.keys(body))
    if (k !== 'key' && k !== 'visit' && k !== 'events') errors.push({ field: k.slice(0, 64), reason: 'unknown; a batch has key and events' });
  const list = body.events;
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.eventsPerBatch)
    errors.push({ field: 'events', reason: `must be a list of 1 to ${LIMITS.eventsPerBatch} events` });
  if (errors.length) throw invalidFields(errors);
  const firstAt = new Map<string, number>();
  let profileEvents = 0;
  const events = (list as unknown[]).map((ev, i) => {
    const checked = checkEvent(ev, `events[${i}].`);
    // An id twice in one batch: the second would share the first's guard and write anyway.
    const first = checked.errors.length ? undefined : firstAt.get(checked.values.id);
    if (first !== undefined) checked.errors.push({ field: `events[${i}].id`, reason: `repeats events[${first}].id: every event needs its own id` });
    else if (!checked.errors.length) firstAt.set(checked.values.id, i);
    if (!checked.errors.length && GET_MODE_EVENTS.includes(checked.values.type) && ++profileEvents > LIMITS.profileEventsPerBatch)
      checked.errors.push({
        field: `events[${i}].type`,
        reason: `is one account, order or optin event too many: at most ${LIMITS.profileEventsPerBatch} per batch (send the others in another batch)`,
      });
    return checked.errors.length ? { ...checked.values, errors: checked.errors } : checked.values;
  });
  return { key: body.key ?? queryKey, events, batch: true };
}

/** A GET query, parsed like a form body: key, type, id, ts, sbt and data[...] (and visit, from earlier SDKs, ignored). */
export function checkQuery(query: unknown): CollectInput {
  const q = isPlainObject(query) ? query : {};
  const { key, visit: _earlierSdks, ...event } = q;
  const checked = checkEvent(event);
  return { key, events: [checked.errors.length ? { ...checked.values, errors: checked.errors } : checked.values], batch: false };
}

const GET_MODE_OFF =
  'This site takes accounts, orders and opt-ins from the browser only in GET mode: turn get_mode on in the tracker settings, or send them from your server with /api/updateOrder and /api/updateCustomer.';

/** Refuses, event by event, what this site does not take: get-mode events with get_mode off, undeclared custom fields. */
function refuseForSite(site: IngestSite, input: CollectInput) {
  input.events.forEach((ev, i) => {
    if (ev.errors) return;
    const store = storeError(site.settings, ev.store, `${at(input, i)}store`, ev.type === 'order');
    if (store) ev.errors = [store];
    else if (!site.settings.get_mode && GET_MODE_EVENTS.includes(ev.type)) {
      ev.errors = [{ field: `${at(input, i)}type`, reason: `${ev.type} events need get_mode on` }];
      ev.refusal = 'get_mode';
    } else if (ev.profile?.customer_cookie !== undefined && ev.profile.customer_cookie !== ev.sbt) {
      // In the browser the visitor is its sbt: an event cannot join another visitor's cookie.
      ev.errors = [{ field: `${at(input, i)}data[customer_cookie]`, reason: "must be this visitor's sbt (or left out): only the shop's server may name another cookie" }];
    } else if (ev.profile) {
      const undeclared = undeclaredCustomFields(ev.profile, site.settings, `${at(input, i)}data`);
      if (undeclared.length) ev.errors = undeclared;
    }
  });
}

/** Names of the URL fields of each event type (url, referrer, image_url, cart_recovery_url, …). */
const URL_FIELDS = Object.fromEntries(
  Object.entries(EVENTS).map(([type, e]) => [type, Object.entries(e.fields as Record<string, { t: string }>).filter(([, k]) => k.t === 'url').map(([name]) => name)]),
) as Record<string, string[]>;

/**
 * The event's data as stored: email addresses redacted in every URL it carries, whatever sent it
 * (an older SDK, a shop's own page view, a GET-mode checkout's thank-you URL), as the SDK does
 * before sending (protocol's redact.ts).
 */
function withoutEmails(ev: CheckedEvent) {
  const data: Record<string, unknown> = { ...(ev.data as Record<string, unknown>) };
  for (const name of URL_FIELDS[ev.type] ?? []) if (typeof data[name] === 'string') data[name] = redactEmails(data[name] as string);
  return data;
}

/** The UTC day of a time, as site_usage counts it. */
export const usageDay = (now: number) => new Date(now).toISOString().slice(0, 10);

/**
 * Every write of a request in one batch: one statement for all the event rows (a duplicate id is
 * dropped; RETURNING names the ids written; nothing is written once the site's daily quota is
 * used up), one for the day's usage (RETURNING the day's total), then, for account/order/optin,
 * the upserts, guarded so that they run only when this request wrote the event row: a retried
 * event changes nothing. One statement for the rows, not one per event: D1 counts every
 * statement of a batch against its queries per invocation (50 on the Free plan), and a batch may
 * hold 100 page views.
 */
export function collectStatements(site: IngestSite, events: CheckedEvent[], now: number, requestId: number) {
  const rows = events.map((ev) => ({ id: ev.id, type: ev.type, sbt: ev.sbt, store: ev.store ?? null, data: JSON.stringify(withoutEmails(ev)), ts: ev.ts }));
  const day = usageDay(now);
  const stmts: Stmt[] = [
    {
      // In the order sent (ORDER BY key: the row ids, hence "newest first", follow it).
      sql: `INSERT INTO events (site_id, event_id, type, sbt, store, data, client_ts, received_at, request_id)
            SELECT ?1, json_extract(value, '$.id'), json_extract(value, '$.type'), json_extract(value, '$.sbt'), json_extract(value, '$.store'),
                   json_extract(value, '$.data'), json_extract(value, '$.ts'), ?2, ?3
            FROM json_each(?4)
            WHERE coalesce((SELECT events FROM site_usage WHERE site_id = ?1 AND day = ?5), 0) < ?6
            ORDER BY key
            ON CONFLICT (site_id, event_id) DO NOTHING RETURNING event_id`,
      params: [site.id, now, requestId, JSON.stringify(rows), day, site.settings.daily_event_quota],
    },
    {
      // The rows this request wrote, found by the unique index (site_id, event_id).
      sql: `INSERT INTO site_usage (site_id, day, events)
            SELECT ?1, ?2, count(*) FROM json_each(?3) j JOIN events e ON e.site_id = ?1 AND e.event_id = j.value WHERE e.request_id = ?4
            ON CONFLICT (site_id, day) DO UPDATE SET events = events + excluded.events RETURNING events`,
      params: [site.id, day, JSON.stringify(events.map((ev) => ev.id)), requestId],
    },
  ];
  /** Per event, the statement of its order upsert (orders only). */
  const orderAt: (number | undefined)[] = [];
  for (const ev of events) {
    orderAt.push(undefined);
    if (!ev.profile) continue;
    const guard: Guard = { sql: 'EXISTS (SELECT 1 FROM events WHERE site_id = ? AND event_id = ? AND request_id = ?)', params: [site.id, ev.id, requestId] };
    // The browser knows its visitor: the profile remembers this sbt, joining its events.
    const profile = { ...ev.profile, customer_cookie: ev.sbt };
    if (ev.type === 'order') {
      const o = orderStatements(site, { profile, order: ev.order } as Required<UpdateInput>, 'tracker', now, requestId, guard);
      orderAt[orderAt.length - 1] = stmts.length + o.orderAt;
      stmts.push(...o.stmts);
    } else if (profile.customer_email !== undefined || profile.external_id !== undefined)
      stmts.push(...upsertProfile(site.id, profile, site.settings, 'tracker', now, requestId, guard, ev.type === 'account' && isAccountWrite(profile, true)));
    else stmts.push(updateProfileByCookie(site.id, ev.sbt, profile, site.settings, now, guard));
  }
  return { stmts, orderAt };
}

export interface CollectResult {
  /** The answer's problem when events were refused (403 when all for get_mode, else 400). */
  refused: Problem | null;
  /** Events dropped because their id was already taken (a retry). */
  duplicates: FieldError[];
  /** Order events kept but not applied: the order was sent by the shop's server. */
  serverOrders: FieldError[];
  /** Nothing was taken: the site's daily event quota is used up. */
  overQuota: boolean;
  /** Trigger rows the batch made that an endpoint wants: to enqueue. */
  triggers: Enqueued[];
}

/**
 * Writes the events in one batch. The browser's profile writes never meet a unique index
 * (profiles.ts), so no event of a batch can make it fail: there is no identity conflict to
 * retry around, nor to reveal.
 */
async function writeEvents(db: D1Database, site: IngestSite, input: CollectInput, now: number, out: Omit<CollectResult, 'refused'>) {
  const list = input.events.map((ev, i) => ({ ev, i })).filter(({ ev }) => !ev.errors);
  if (!list.length) return;
  const { stmts, orderAt } = collectStatements(site, list.map(({ ev }) => ev), now, requestNonce());
  stmts.push(claimStatement(site.id, now, site.settings.abandoned_cart_minutes > 0));
  const results = await runBatch(db, stmts);
  out.triggers = toEnqueue(results[results.length - 1]);
  const written = new Set((results[0].results as { event_id: string }[]).map((r) => r.event_id));
  const [{ events: today }] = results[1].results as { events: number }[];
  if (!written.size && today >= site.settings.daily_event_quota) {
    out.overQuota = true;
    return;
  }
  list.forEach(({ ev, i }, n) => {
    const o = orderAt[n];
    if (!written.has(ev.id)) out.duplicates.push({ field: `${at(input, i)}id`, reason: `event ${ev.id} was already received: dropped` });
    else if (o !== undefined && results[o].results.length === 0)
      out.serverOrders.push({ field: `${at(input, i)}data[order_idorder]`, reason: `order ${ev.order?.order_idorder} was sent by the shop's server: the browser cannot change it` });
  });
}

export async function collect(db: D1Database, site: IngestSite, input: CollectInput, now = Date.now()): Promise<CollectResult> {
  refuseForSite(site, input);
  const out = { duplicates: [] as FieldError[], serverOrders: [] as FieldError[], overQuota: false, triggers: [] as Enqueued[] };
  await writeEvents(db, site, input, now, out);
  if (out.overQuota) return { refused: null, ...out };
  const refused = input.events.filter((ev) => ev.errors);
  const errors = refused.flatMap((ev) => ev.errors!);
  if (!errors.length) return { refused: null, ...out };
  const getModeOnly = refused.every((ev) => ev.refusal === 'get_mode');
  const takenCount = input.events.length - refused.length;
  const message = getModeOnly
    ? GET_MODE_OFF + (takenCount ? ` The batch's ${takenCount} other event${takenCount === 1 ? ' was' : 's were'} taken.` : '')
    : input.batch
      ? `${refused.length} of ${input.events.length} events were refused${takenCount ? `; the other ${takenCount} were taken` : ''}: see fields.`
      : invalidFields(errors).problem.message;
  const [status, code] = getModeOnly ? ([403, 'get_mode_off'] as const) : ([400, 'invalid_fields'] as const);
  return { refused: { status, code, message, fields: errors }, ...out };
}
