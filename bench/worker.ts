// The Worker `npm run bench` serves: the production app, unchanged, plus two baseline routes
// that exist only here (never in a production build, whose entry is packages/worker/src/index.ts):
//   POST /__bench/noop    reads the body, answers 204; no D1.
//   POST /__bench/insert  reads the body, one bound-parameter INSERT into bench_ingest, 200 JSON.
//   GET  /__bench/select  one D1 round trip that carries nothing (SELECT 1): the floor of any
//                         read, beside which GET /api/orders/recent is measured.
// Every other request goes to the production app as it is (its own routes, 404 and errors), and
// the queue consumer and the Cron Trigger are the production ones.
import { Hono } from 'hono';
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

bench.get('/__bench/select', async (c) => c.json(await c.env.DB.prepare('SELECT 1 AS one').first()));

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const { pathname } = new URL(request.url);
    return pathname.startsWith('/__bench/') ? bench.fetch(request, env, ctx) : production.fetch(request, env, ctx);
  },
  scheduled: production.scheduled,
  queue: production.queue,
} satisfies ExportedHandler<Env>;
