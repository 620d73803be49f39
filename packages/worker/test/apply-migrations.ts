import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { Env } from '../src/env';

// Every D1 database of the Worker has the same schema (tenancy.ts): the control one and DB_BIG.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await applyD1Migrations((env as unknown as { DB_BIG: D1Database }).DB_BIG, env.TEST_MIGRATIONS);

// The tests see the Worker as a deployment without the EVENTS queue: /collect writes before it
// answers, which they read at once. The Worker under test shares this env object, so taking the
// bindings out here takes them out of it; collect-queue.test.ts puts them back (queuedCollect)
// to drive the queued /collect through the real local queues.
const stash = globalThis as { queuedCollect?: Pick<Env, 'EVENTS' | 'EVENTS_DLQ'> };
stash.queuedCollect ??= { EVENTS: env.EVENTS, EVENTS_DLQ: env.EVENTS_DLQ };
delete env.EVENTS;
delete env.EVENTS_DLQ;
