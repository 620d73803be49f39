// The queued /collect. With the EVENTS queue bound, /collect checks the key, the origin and every
// event as it always does, answers at once, and puts the events it took on the queue, one message
// a request; this consumer writes them through the same write path (collect.ts writeTaken) in
// few batches: the messages of one site and UTC day go into one D1 batch, so a sale day's
// hundreds of beacons a second cost D1 a few transactions a second.
//
// Every guarantee of the synchronous /collect holds: an event id is taken once (the insert drops
// an id already stored, a redelivered message changes nothing), the profile and order writes run
// only for the events their batch wrote, the browser never changes the server's order, GET-mode
// gating and the site's checks are applied again with the site as it is when written. A batch
// that fails is retried with a growing delay, each message alone from its second attempt (a
// message that cannot be written holds up no other); after its last attempt it goes to the
// dead-letter queue with the error it met, whose consumer records it in the site's rejected
// requests ("dead_lettered"). What was dropped on the way (a repeat, an order of the server, the
// daily quota) is recorded there too, as the synchronous /collect does.
import type { CheckedEvent, FieldError } from '@shopbeacon/protocol';
import { sendTriggers, type Enqueued } from './automations/outbox';
import { type Placed, refuseForSite, type Taken, usageDay, writeTaken, collectStatements } from './collect';
import type { Env } from './env';
import type { IngestSite } from './ingest';
import { binding, fenced, siteDb } from './tenancy';
import { redact, type Rejection, rejectionStatements } from './rejections';
import { withDefaults } from './settings';

/** One request's events, as /collect enqueues them. */
export interface CollectMessage extends Taken {
  /** The site's id. */
  site: number;
  method: string;
  /** What was sent, redacted and cut as the rejected-requests log keeps it. */
  sent: string;
  /** Attempts an earlier copy of this message made before it was deferred (sent again as it was). */
  tries?: number;
  /** On the way to the dead-letter queue: the error of the last attempt, and how many there were. */
  error?: string;
  attempts?: number;
}

/** The queues' names, as wrangler.toml declares them: the Worker's queue() handler dispatches on them. */
export const EVENTS_QUEUE = 'shopbeacon-events';
export const EVENTS_DLQ = 'shopbeacon-events-dlq';

/** Seconds before the next attempt, after attempt 1, 2, …, 5; attempt 6 is the last (wrangler.toml's max_retries = 5). */
export const COLLECT_RETRY_DELAYS_S = [30, 120, 600, 3_600, 21_600];
export const COLLECT_ATTEMPTS = COLLECT_RETRY_DELAYS_S.length + 1;

/**
 * D1's queries per invocation on the Workers Free plan: a consumer invocation stays within it
 * (COLLECT_QUERIES_PER_INVOCATION raises it: 1,000 on the Paid plan). A message beyond it is sent
 * to the queue again (a deferral, not an attempt: its attempts so far go with it).
 */
export const QUERIES_PER_INVOCATION = 50;
const queryBudget = (env: Env) => {
  const set = Number(env.COLLECT_QUERIES_PER_INVOCATION);
  return Number.isInteger(set) && set >= QUERIES_PER_INVOCATION ? set : QUERIES_PER_INVOCATION;
};
/** A deferral's sendBatch stays under Queues' 256 KB a batch. */
const DEFER_BATCH_BYTES = 200_000;

/** Attempts of this message so far, this one included, over all its copies. */
const attemptsOf = (m: Message<CollectMessage>) => m.attempts + (m.body.tries ?? 0);
/** The most a site's log writes take: one insert for each kind of drop, and the log's cap. */
const LOG_QUERIES = 6;

/** The message of one request, or null when it holds no event (nothing to write). */
export function collectMessage(siteId: number, taken: Taken, method: string, sent: string): CollectMessage | null {
  return taken.events.length ? { ...taken, site: siteId, method, sent: redact(sent) } : null;
}

const idField = (m: Taken, i: number) => (m.batch ? `events[${i}].id` : 'id');

/** A kind of drop in a site's log: many messages' events in one row, its message led by their count. */
type LogEntry = Rejection & { events: number };

function logEntry(site: Map<string, LogEntry>, key: string, m: CollectMessage, make: () => Rejection['problem'], fields: FieldError[], events = fields.length) {
  if (!fields.length) return;
  const entry = site.get(key) ?? { method: m.method, route: '/collect', sent: m.sent, problem: { ...make(), fields: [] }, events: 0 };
  entry.problem.fields!.push(...fields);
  entry.events += events;
  site.set(key, entry);
}

/** The site rows of the messages' sites (a deleted site has none: its messages are dropped). */
async function loadSites(db: D1Database, ids: number[]): Promise<Map<number, QueuedSite>> {
  const { results } = await db
    .prepare('SELECT id, settings, db FROM sites WHERE id IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify([...new Set(ids)]))
    .all<{ id: number; settings: string; db: string }>();
  return new Map(results.map((r) => [r.id, { id: r.id, settings: withDefaults(JSON.parse(r.settings)), db: r.db }]));
}

/** A site as the consumer writes for it: with the binding of its data's database (tenancy.ts). */
type QueuedSite = IngestSite & { db: string };

/** Messages written in one batch: one site, one UTC day. */
interface Chunk {
  site: QueuedSite;
  messages: Message<CollectMessage>[];
  queries: number;
}

/** The write statements of one message's events, beyond the two every batch has (the rows, the usage). */
const extraQueries = (site: IngestSite, events: Placed[], at: number) =>
  collectStatements(site, events.map(({ ev }) => ({ ...(ev as CheckedEvent), at })), at, 0).stmts.length - 2;

export async function handleCollectQueue(batch: MessageBatch<CollectMessage>, env: Env, now = Date.now()) {
  if (batch.queue === EVENTS_DLQ) return recordDeadLetters(batch, env, now);
  const sites = await loadSites(env.DB, batch.messages.map((m) => m.body.site));
  const logs = new Map<number, Map<string, LogEntry>>();
  const chunks = new Map<string, Chunk>();
  const deferred: Message<CollectMessage>[] = [];
  const budget = queryBudget(env);
  let queries = 1; // the sites
  for (const m of batch.messages) {
    const site = sites.get(m.body.site);
    if (!site) {
      m.ack(); // the site was deleted: its data with it
      continue;
    }
    // Checked again with the site as it is now: a setting changed since the request counts.
    // (A refused event keeps its errors in the body, so a deferred message logs it when written.)
    refuseForSite(site, m.body.batch, m.body.events);
    const kept = m.body.events.filter(({ ev }) => !ev.errors);
    const log = logs.get(site.id) ?? new Map<string, LogEntry>();
    const cost = (logs.has(site.id) ? 0 : LOG_QUERIES) + extraQueries(site, kept, m.body.at);
    // A retried message is written alone, so that one that cannot be written holds up no other.
    const key = attemptsOf(m) > 1 ? `retry ${m.id}` : `${site.id} ${usageDay(m.body.at)}`;
    const chunk = chunks.get(key);
    const more = cost + (chunk ? 0 : 3); // a new chunk: its rows, usage and claim
    if (queries + more > budget && (chunk || chunks.size)) {
      deferred.push(m);
      continue;
    }
    queries += more;
    logs.set(site.id, log);
    if (chunk) chunk.messages.push(m);
    else chunks.set(key, { site, messages: [m], queries: more });
  }
  const written = await Promise.all([...chunks.values()].map(async (chunk) => ({ site: chunk.site, triggers: await writeChunk(env, chunk, logs.get(chunk.site.id)!, now) })));
  await Promise.all([
    ...written.filter((w) => w.triggers.length).map((w) => sendTriggers(env, w.triggers, w.site).catch((e) => console.error('triggers not enqueued (the sweep will):', e))),
    ...[...logs].filter(([, entries]) => entries.size).map(([id, entries]) => writeLogs(siteDb(env, sites.get(id)!), id, entries, now)),
    defer(env, deferred),
  ]);
}

/** One chunk in one batch. Failed: each message retried, or after its last attempt dead-lettered with the error. */
async function writeChunk(env: Env, chunk: Chunk, log: Map<string, LogEntry>, now: number): Promise<Enqueued[]> {
  const refused = new Map(chunk.messages.map((m) => [m, m.body.events.filter(({ ev }) => ev.errors)]));
  for (const m of chunk.messages) m.body.events = m.body.events.filter(({ ev }) => !ev.errors);
  const messages = chunk.messages.filter((m) => m.body.events.length);
  try {
    const result = messages.length ? await writeTaken(siteDb(env, chunk.site), chunk.site, messages.map((m) => m.body), now) : { written: [], triggers: [] };
    // What this invocation dropped is logged once the chunk is written: a failed chunk logs nothing, its retry will.
    for (const [m, r] of refused)
      logEntry(log, 'refused', m.body, () => ({ status: 204, code: 'refused_when_written', message: "event(s) taken by /collect were refused when written: the site's settings changed in between (see fields)." }), r.flatMap(({ ev }) => ev.errors!), r.length);
    result.written.forEach((w, n) => {
      const m = messages[n].body;
      logEntry(log, 'duplicate', m, () => ({ status: 204, code: 'duplicate_dropped', message: 'event(s) already received were dropped (a retry).' }), w.duplicates);
      logEntry(log, 'server', m, () => ({ status: 204, code: 'server_order_kept', message: "order event(s) of the browser named orders the shop's server had sent: they were kept as the server sent them." }), w.serverOrders);
      if (!w.overQuota) return;
      const repeats = new Set(w.duplicates.map((d) => d.field));
      logEntry(
        log,
        'quota',
        m,
        () => ({ status: 204, code: 'daily_quota_reached', message: "event(s) were dropped: this site's daily event quota (the daily_event_quota setting) was used up when they were written." }),
        m.events.filter(({ i }) => !repeats.has(idField(m, i))).map(({ i, ev }) => ({ field: idField(m, i), reason: `event ${ev.id} dropped: daily quota used up` })),
      );
    });
    for (const m of chunk.messages) m.ack();
    return result.triggers;
  } catch (e) {
    // Retried with the events the site refuses still in it, marked: they are logged when it is written.
    for (const [m, r] of refused) m.body.events = [...m.body.events, ...r].sort((a, b) => a.i - b.i);
    // Refused by a move's fence (tenancy.ts): the site is switching databases; the retry reads its row again.
    if (fenced(e)) for (const m of chunk.messages) m.retry({ delaySeconds: FENCED_RETRY_S });
    else {
      const error = String(e instanceof Error ? e.message : e).slice(0, 500);
      console.error(`collect queue: ${messages.length} message(s) of site ${chunk.site.id} not written:`, error);
      await Promise.all(chunk.messages.map((m) => retryOrDeadLetter(env, m, error)));
    }
    return [];
  }
}

/** Seconds before a message a move's fence refused is tried again: the switch comes within seconds. */
export const FENCED_RETRY_S = 2;

/** Seconds before the next attempt: COLLECT_RETRY_SECONDS when set (the tests), else the growing delays. */
function retryDelay(env: Env, attempt: number) {
  const fixed = Number(env.COLLECT_RETRY_SECONDS);
  return Number.isInteger(fixed) && fixed >= 0 ? fixed : COLLECT_RETRY_DELAYS_S[Math.min(attempt, COLLECT_RETRY_DELAYS_S.length) - 1];
}

async function retryOrDeadLetter(env: Env, m: Message<CollectMessage>, error: string) {
  const attempts = attemptsOf(m);
  // A deferred copy's queue counts its own attempts from 1: past the last one overall, it is dead-lettered here.
  if (attempts < COLLECT_ATTEMPTS || !env.EVENTS_DLQ) return m.retry({ delaySeconds: retryDelay(env, attempts) });
  try {
    const { tries: _, ...body } = m.body;
    await env.EVENTS_DLQ.send({ ...body, error, attempts }, { contentType: 'json' });
    m.ack();
  } catch (e) {
    // The queue's own dead-lettering takes it, without the error.
    console.error('collect queue: could not dead-letter a message:', e);
    m.retry();
  }
}

/**
 * Messages past this invocation's queries: sent again as they are, with the attempts they made
 * (their new copy's count starts at 1), in sendBatch calls under Queues' 256 KB. What the queue
 * does not take is retried.
 */
async function defer(env: Env, messages: Message<CollectMessage>[]) {
  const parts: Message<CollectMessage>[][] = [];
  let bytes = Infinity;
  for (const m of messages) {
    const size = JSON.stringify(m.body).length + 100;
    if (bytes + size > DEFER_BATCH_BYTES || parts.at(-1)!.length === 100) {
      parts.push([]);
      bytes = 0;
    }
    parts.at(-1)!.push(m);
    bytes += size;
  }
  await Promise.all(
    parts.map(async (part) => {
      try {
        await env.EVENTS!.sendBatch(part.map((m) => ({ body: { ...m.body, tries: attemptsOf(m) - 1 }, contentType: 'json' as const })));
        for (const m of part) m.ack();
      } catch (e) {
        console.error('collect queue: could not defer messages:', e);
        for (const m of part) m.retry();
      }
    }),
  );
}

/** One site's drops in one batch, in its database: an insert each, and the site's cap. */
async function writeLogs(db: D1Database, siteId: number, entries: Map<string, LogEntry>, now: number) {
  const stmts: D1PreparedStatement[] = [];
  let cap: D1PreparedStatement | undefined;
  for (const { events, ...r } of entries.values()) {
    const [insert, capStmt] = await rejectionStatements(db, siteId, { ...r, problem: { ...r.problem, message: `${events} ${r.problem.message}` } }, now);
    stmts.push(insert);
    cap = capStmt;
  }
  await db.batch([...stmts, cap!]).catch((e) => console.error('collect queue: could not record its drops:', e));
}

/** The dead-letter queue's consumer: each message's events were never written; the site's log says so, and why. */
async function recordDeadLetters(batch: MessageBatch<CollectMessage>, env: Env, now: number) {
  const sites = await loadSites(env.DB, batch.messages.map((m) => m.body.site));
  // A batch per database (tenancy.ts): each site's log is in its data's.
  const stmts = new Map<string, D1PreparedStatement[]>();
  for (const m of batch.messages) {
    const body = m.body;
    const site = sites.get(body.site);
    if (!site) continue;
    const why = body.error
      ? `after ${body.attempts} attempts, the last failed with: ${body.error}`
      : 'the consumer stopped without an answer on every attempt (a crash or a time-out)';
    const problem = {
      status: 204,
      code: 'dead_lettered',
      message: `${body.events.length} event(s) taken at ${new Date(body.at).toISOString()} were never written, ${why}. They were dead-lettered; send them again once the cause is fixed.`,
      fields: body.events.map(({ i, ev }) => ({ field: idField(body, i), reason: `event ${ev.id} not written` })),
    };
    const list = stmts.get(site.db) ?? [];
    list.push(...(await rejectionStatements(siteDb(env, site), body.site, { method: body.method, route: '/collect', sent: body.sent, problem }, now)));
    stmts.set(site.db, list);
  }
  try {
    // 2 statements a message: within the Free plan's 50 queries for 24 (max_batch_size of the dead-letter queue's consumer).
    await Promise.all([...stmts].map(([db]) => binding(env, db).batch(stmts.get(db)!)));
    for (const m of batch.messages) m.ack();
  } catch (e) {
    console.error('collect dead-letter queue: not recorded:', e);
    for (const m of batch.messages) m.retry();
  }
}
