// The Worker `npm run bench` serves: the production app, unchanged, plus two baseline routes
// that exist only here (never in a production build, whose entry is packages/worker/src/index.ts):
//   POST /__bench/noop    reads the body, answers 204; no D1.
//   POST /__bench/insert  reads the body, one bound-parameter INSERT into bench_ingest, 200 JSON.
//   GET  /__bench/select  one D1 round trip that carries nothing (SELECT 1): the floor of any
//                         read, beside which GET /api/orders/recent is measured.
//   POST /__bench/import-bare
//                         an import body's rows inserted as they are, one json_each statement:
//                         the floor beside which `npm run import` is measured.
//   POST /__bench/queue/hold, /__bench/queue/release
//                         while held, the TRIGGERS producer the production app is given keeps
//                         what it is sent in this isolate's memory (structuredClone: what a
//                         send serializes), and release sends it to the real queue. The
//                         automations section measures /api/updateOrder's own request path so,
//                         with no delivery and no local queue broker competing for these 2 cores
//                         (in production both are Cloudflare's), then the backlog drained by the
//                         consumer alone.
//   POST /__bench/queued/collect, /__bench/sync/collect (and GET)
//                         the production /collect without its rate limits (the load comes from
//                         one IP address): queued (the EVENTS queue, as wrangler.toml binds it)
//                         or synchronous (the EVENTS bindings taken out: a deployment without
//                         the queue). The collect section compares them with noop and insert.
//   POST /__bench/held/collect (and GET), POST /__bench/events/release?max=N
//                         the queued /collect, its EVENTS producer held in this isolate's memory
//                         (structuredClone, as a send serializes): the request path alone, no
//                         consumer writing meanwhile (in production it runs apart); release hands
//                         what was held to the real queue, for the consumer alone to drain.
//   GET  /__bench/count?site=N
//                         the site's event rows, distinct event ids, usage counter and orders:
//                         what the collect section checks against what it sent.
// Every other request goes to the production app as it is (its own routes, 404 and errors), and
// the queue consumer and the Cron Trigger are the production ones.
import { Hono } from 'hono';
import type { OutboxMessage } from '../packages/worker/src/automations/outbox';
import type { CollectMessage } from '../packages/worker/src/collect-queue';
import type { Env } from '../packages/worker/src/env';
import production from '../packages/worker/src/index';

// The bench-only table, created once per isolate (CREATE TABLE IF NOT EXISTS is cheap and
// idempotent); never part of packages/worker/migrations.
const CREATE_BENCH_TABLE =
  'CREATE TABLE IF NOT EXISTS bench_ingest (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, body TEXT NOT NULL)';
let benchTable: Promise<unknown> | undefined;
const ensureBenchTable = (db: D1Database) =>
  (benchTable ??= db
    .prepare(CREATE_BENCH_TABLE)
    .run()
    .catch((e) => {
      benchTable = undefined;
      throw e;
    }));

const bench = new Hono<{ Bindings: Env }>();

bench.post('/__bench/noop', async (c) => {
  await c.req.arrayBuffer();
  return c.body(null, 204);
});

bench.post('/__bench/insert', async (c) => {
  // Decoded as the production route decodes its body (readBody), so both pay the same.
  const body = new TextDecoder().decode(await c.req.arrayBuffer());
  await ensureBenchTable(c.env.DB);
  const { meta } = await c.env.DB.prepare('INSERT INTO bench_ingest (received_at, body) VALUES (?1, ?2)').bind(Date.now(), body).run();
  return c.json({ ok: true, id: meta.last_row_id });
});

// The import's floor: the rows of an import body (POST /api/import/orders's shape) inserted as
// they are, one json_each statement, no check and no JSON parse in the Worker.
const CREATE_IMPORT_TABLE =
  'CREATE TABLE IF NOT EXISTS bench_import (id INTEGER PRIMARY KEY, idorder TEXT NOT NULL, email TEXT, state INTEGER, amount REAL, crea_dt TEXT, items TEXT)';
let importTable: Promise<unknown> | undefined;
bench.post('/__bench/import-bare', async (c) => {
  const body = new TextDecoder().decode(await c.req.arrayBuffer());
  await (importTable ??= c.env.DB.prepare(CREATE_IMPORT_TABLE).run());
  const { meta } = await c.env.DB.prepare(
    `INSERT INTO bench_import (idorder, email, state, amount, crea_dt, items)
     SELECT value ->> '$.data.order_idorder', value ->> '$.data.customer_email', value ->> '$.data.order_state', value ->> '$.data.order_amount',
            value ->> '$.data.order_crea_dt', value ->> '$.data.items'
     FROM json_each(?1, '$.rows')`,
  )
    .bind(body)
    .run();
  return c.json({ ok: true, inserted: meta.changes });
});
bench.get('/__bench/import-bare', async (c) => c.json(await c.env.DB.prepare('SELECT count(*) AS rows FROM bench_import').first()));

bench.get('/__bench/select', async (c) => c.json(await c.env.DB.prepare('SELECT 1 AS one').first()));

// Local dev runs one isolate of this Worker: every request sees the same held list.
let held: MessageSendRequest<OutboxMessage>[] | null = null;
const holding = {
  async send(body: OutboxMessage, options?: QueueSendOptions) {
    held!.push({ body: structuredClone(body), ...options });
  },
  async sendBatch(messages: Iterable<MessageSendRequest<OutboxMessage>>) {
    for (const m of messages) held!.push({ ...m, body: structuredClone(m.body) });
  },
} as unknown as Queue;
bench.post('/__bench/queue/hold', (c) => ((held ??= []), c.body(null, 204)));
// ?max=N: at most N messages a call (miniflare's local broker holds at most 10,000 timers, one
// per message waiting): the caller releases more as the consumer catches up. The last call
// (nothing left) ends holding.
bench.post('/__bench/queue/release', async (c) => {
  const messages = held ?? [];
  const batch = messages.splice(0, Number(c.req.query('max') ?? messages.length));
  for (let i = 0; i < batch.length; i += 100) await c.env.TRIGGERS!.sendBatch(batch.slice(i, i + 100));
  if (!messages.length) held = null;
  return c.json({ released: batch.length, left: messages.length });
});

bench.get('/__bench/count', async (c) =>
  c.json(
    await c.env.DB.prepare(
      `SELECT (SELECT count(*) FROM events WHERE site_id = ?1) AS events, (SELECT count(DISTINCT event_id) FROM events WHERE site_id = ?1) AS distinct_events,
              (SELECT coalesce(sum(events), 0) FROM site_usage WHERE site_id = ?1) AS usage, (SELECT count(*) FROM orders WHERE site_id = ?1) AS orders`,
    )
      .bind(Number(c.req.query('site')))
      .first(),
  ),
);

let heldEvents: MessageSendRequest<CollectMessage>[] = [];
const holdingEvents = {
  async send(body: CollectMessage, options?: QueueSendOptions) {
    heldEvents.push({ body: structuredClone(body), ...options });
  },
  async sendBatch(messages: Iterable<MessageSendRequest<CollectMessage>>) {
    for (const m of messages) heldEvents.push({ ...m, body: structuredClone(m.body) });
  },
} as unknown as Queue<CollectMessage>;
bench.post('/__bench/events/release', async (c) => {
  const batch = heldEvents.splice(0, Number(c.req.query('max') ?? heldEvents.length));
  for (let i = 0; i < batch.length; i += 100) await c.env.EVENTS!.sendBatch(batch.slice(i, i + 100));
  return c.json({ released: batch.length, left: heldEvents.length });
});

/** The production env of /__bench/queued/… and /__bench/sync/…: no rate limits; sync: no EVENTS queue. */
const COLLECT_MODES: Record<string, (env: Env) => Env> = {
  '/__bench/queued/': (env) => ({ ...env, COLLECT_PER_IP: undefined, COLLECT_PER_SITE: undefined }),
  '/__bench/held/': (env) => ({ ...env, COLLECT_PER_IP: undefined, COLLECT_PER_SITE: undefined, EVENTS: holdingEvents }),
  '/__bench/sync/': (env) => ({ ...env, COLLECT_PER_IP: undefined, COLLECT_PER_SITE: undefined, EVENTS: undefined, EVENTS_DLQ: undefined }),
};

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const url = new URL(request.url);
    const { pathname } = url;
    for (const [prefix, mode] of Object.entries(COLLECT_MODES))
      if (pathname.startsWith(prefix)) {
        url.pathname = pathname.slice(prefix.length - 1);
        return production.fetch(new Request(url, request), mode(env), ctx);
      }
    if (pathname.startsWith('/__bench/')) return bench.fetch(request, env, ctx);
    return production.fetch(request, held ? { ...env, TRIGGERS: holding } : env, ctx);
  },
  scheduled: production.scheduled,
  queue: production.queue,
} satisfies ExportedHandler<Env>;
