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

/** An event of a request, with its place in it (fields are named events[i].… in a batch). */
export type Placed = { i: number; ev: CollectInput['events'][number] };

const fieldAt = (batch: boolean, i: number, field: string) => `${batch ? `events[${i}].` : ''}${field}`;

/**
 * Refuses, event by event, what this site does not take: get-mode events with get_mode off,
 * undeclared custom fields, an unknown store. The request checks with the site as it knows it,
 * and the queue's consumer again with the site as it is when it writes.
 */
export function refuseForSite(site: IngestSite, batch: boolean, events: Placed[]) {
  for (const { i, ev } of events) {
    if (ev.errors) continue;
    const store = storeError(site.settings, ev.store, fieldAt(batch, i, 'store'), ev.type === 'order');
    if (store) ev.errors = [store];
    else if (!site.settings.get_mode && GET_MODE_EVENTS.includes(ev.type)) {
      ev.errors = [{ field: fieldAt(batch, i, 'type'), reason: `${ev.type} events need get_mode on` }];
      ev.refusal = 'get_mode';
    } else if (ev.profile?.customer_cookie !== undefined && ev.profile.customer_cookie !== ev.sbt) {
      // In the browser the visitor is its sbt: an event cannot join another visitor's cookie.
      ev.errors = [{ field: fieldAt(batch, i, 'data[customer_cookie]'), reason: "must be this visitor's sbt (or left out): only the shop's server may name another cookie" }];
    } else if (ev.profile) {
      const undeclared = undeclaredCustomFields(ev.profile, site.settings, fieldAt(batch, i, 'data'));
      if (undeclared.length) ev.errors = undeclared;
    }
  }
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

/** An event to write, with the time its request was answered (its received_at). */
export type TimedEvent = CheckedEvent & { at: number };

/**
 * Every write of one or more requests in one batch: one statement for all the event rows (a
 * duplicate id is dropped; RETURNING names the ids written; nothing is written once the site's
 * daily quota is used up), one for the day's usage (RETURNING the day's total), then, for
 * account/order/optin, the upserts, guarded so that they run only when this batch wrote the
 * event row: a retried event changes nothing. One statement for the rows, not one per event: D1
 * counts every statement of a batch against its queries per invocation (50 on the Free plan),
 * and a batch may hold 100 page views. The events are counted on the UTC day of `day` (a
 * request's time: the queue's consumer groups requests by their day); each keeps the time of its
 * own request.
 */
export function collectStatements(site: IngestSite, events: TimedEvent[], day: number, requestId: number) {
  const rows = events.map((ev) => ({ id: ev.id, type: ev.type, sbt: ev.sbt, store: ev.store ?? null, data: JSON.stringify(withoutEmails(ev)), ts: ev.ts, at: ev.at }));
  const usage = usageDay(day);
  const stmts: Stmt[] = [
    {
      // In the order sent (ORDER BY key: the row ids, hence "newest first", follow it).
      sql: `INSERT INTO events (site_id, event_id, type, sbt, store, data, client_ts, received_at, request_id)
            SELECT ?1, json_extract(value, '$.id'), json_extract(value, '$.type'), json_extract(value, '$.sbt'), json_extract(value, '$.store'),
                   json_extract(value, '$.data'), json_extract(value, '$.ts'), json_extract(value, '$.at'), ?2
            FROM json_each(?3)
            WHERE coalesce((SELECT events FROM site_usage WHERE site_id = ?1 AND day = ?4), 0) < ?5
            ORDER BY key
            ON CONFLICT (site_id, event_id) DO NOTHING RETURNING event_id`,
      params: [site.id, requestId, JSON.stringify(rows), usage, site.settings.daily_event_quota],
    },
    {
      // The rows this batch wrote, found by the unique index (site_id, event_id).
      sql: `INSERT INTO site_usage (site_id, day, events)
            SELECT ?1, ?2, count(*) FROM json_each(?3) j JOIN events e ON e.site_id = ?1 AND e.event_id = j.value WHERE e.request_id = ?4
            ON CONFLICT (site_id, day) DO UPDATE SET events = events + excluded.events RETURNING events`,
      params: [site.id, usage, JSON.stringify(events.map((ev) => ev.id)), requestId],
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
      const o = orderStatements(site, { profile, order: ev.order } as Required<UpdateInput>, 'tracker', ev.at, requestId, guard);
      orderAt[orderAt.length - 1] = stmts.length + o.orderAt;
      stmts.push(...o.stmts);
    } else if (profile.customer_email !== undefined || profile.external_id !== undefined)
      stmts.push(...upsertProfile(site.id, profile, site.settings, 'tracker', ev.at, requestId, guard, ev.type === 'account' && isAccountWrite(profile, true)));
    else stmts.push(updateProfileByCookie(site.id, ev.sbt, profile, site.settings, ev.at, guard));
  }
  return { stmts, orderAt };
}

/** The events of one request that passed every check, each with its place in the request. */
export interface Taken {
  /** When the request was answered (ms). */
  at: number;
  /** A POST batch (fields named events[i].…) or a GET query. */
  batch: boolean;
  events: Placed[];
}

/** The events of the input that passed every check: what is written, now or by the queue's consumer. */
export const taken = (input: CollectInput, at: number): Taken => ({
  at,
  batch: input.batch,
  events: input.events.flatMap((ev, i) => (ev.errors ? [] : [{ i, ev }])),
});

/** What a write made of one request's events. */
export interface Written {
  /** Events dropped because their id was already taken (a retry). */
  duplicates: FieldError[];
  /** Order events kept but not applied: the order was sent by the shop's server. */
  serverOrders: FieldError[];
  /** Nothing was taken: the site's daily event quota is used up. */
  overQuota: boolean;
}

/**
 * Writes the events of one or more requests of a site, all of one UTC day, in one batch (one
 * transaction: all of it or nothing), counted on their day (the first request's), and answers,
 * per request, what it made of them, and the
 * trigger rows to enqueue. An event id twice (a beacon retried while its first send waits in the
 * queue) is written once, its repeat is a duplicate. The browser's profile writes never meet a
 * unique index (profiles.ts), so no event can make the batch fail: there is no identity conflict
 * to retry around, nor to reveal.
 */
export async function writeTaken(db: D1Database, site: IngestSite, requests: Taken[], now: number): Promise<{ written: Written[]; triggers: Enqueued[] }> {
  const written: Written[] = requests.map(() => ({ duplicates: [], serverOrders: [], overQuota: false }));
  const seen = new Set<string>();
  const list: { r: number; i: number; ev: TimedEvent }[] = [];
  requests.forEach((req, r) =>
    req.events.forEach(({ i, ev }) => {
      if (seen.has(ev.id)) written[r].duplicates.push({ field: fieldAt(req.batch, i, 'id'), reason: `event ${ev.id} was already received: dropped` });
      else list.push({ r, i, ev: { ...ev, at: req.at } });
      seen.add(ev.id);
    }),
  );
  if (!list.length) return { written, triggers: [] };
  const { stmts, orderAt } = collectStatements(site, list.map(({ ev }) => ev), requests[0].at, requestNonce());
  stmts.push(claimStatement(site.id, now, site.settings.abandoned_cart_minutes > 0));
  const results = await runBatch(db, stmts);
  const triggers = toEnqueue(results[results.length - 1]);
  const stored = new Set((results[0].results as { event_id: string }[]).map((r) => r.event_id));
  const [{ events: today }] = results[1].results as { events: number }[];
  if (!stored.size && today >= site.settings.daily_event_quota) {
    for (const w of written) w.overQuota = true;
    return { written, triggers };
  }
  list.forEach(({ r, i, ev }, n) => {
    const o = orderAt[n];
    const batch = requests[r].batch;
    if (!stored.has(ev.id)) written[r].duplicates.push({ field: fieldAt(batch, i, 'id'), reason: `event ${ev.id} was already received: dropped` });
    else if (o !== undefined && results[o].results.length === 0)
      written[r].serverOrders.push({ field: fieldAt(batch, i, 'data[order_idorder]'), reason: `order ${ev.order?.order_idorder} was sent by the shop's server: the browser cannot change it` });
  });
  return { written, triggers };
}

/**
 * Checks the events against the site (refuseForSite) and answers the request's problem when some
 * were refused (403 when all for get_mode, else 400), or null.
 */
export function refusal(site: IngestSite, input: CollectInput): Problem | null {
  refuseForSite(site, input.batch, input.events.map((ev, i) => ({ i, ev })));
  const refused = input.events.filter((ev) => ev.errors);
  const errors = refused.flatMap((ev) => ev.errors!);
  if (!errors.length) return null;
  const getModeOnly = refused.every((ev) => ev.refusal === 'get_mode');
  const takenCount = input.events.length - refused.length;
  const message = getModeOnly
    ? GET_MODE_OFF + (takenCount ? ` The batch's ${takenCount} other event${takenCount === 1 ? ' was' : 's were'} taken.` : '')
    : input.batch
      ? `${refused.length} of ${input.events.length} events were refused${takenCount ? `; the other ${takenCount} were taken` : ''}: see fields.`
      : invalidFields(errors).problem.message;
  const [status, code] = getModeOnly ? ([403, 'get_mode_off'] as const) : ([400, 'invalid_fields'] as const);
  return { status, code, message, fields: errors };
}
