// Reading tracker events back (the dashboard's "recent events", and integrators checking that
// the snippet works).

export const RECENT_EVENTS_LIMIT = 200;

// Served by events_site_recent (site_id [, rowid]), a store's by events_site_store_recent
// (site_id, store [, rowid]): no sort step (test/collect.test.ts, test/stores.test.ts).
const recentEventsSql = (byStore: boolean) => `
  SELECT event_id, type, sbt, store, data, client_ts, received_at FROM events
  WHERE site_id = ?${byStore ? ' AND store = ?' : ''} ORDER BY id DESC LIMIT ${RECENT_EVENTS_LIMIT}`;
export const RECENT_EVENTS_SQL = recentEventsSql(false);
export const RECENT_STORE_EVENTS_SQL = recentEventsSql(true);

interface EventRow {
  event_id: string;
  type: string;
  sbt: string;
  store: string | null;
  data: string;
  client_ts: number;
  received_at: number;
}

/** The site's (or one store's) last 200 events of every type, newest first. */
export async function recentEvents(db: D1Database, siteId: number, store?: string) {
  const stmt = store === undefined ? db.prepare(RECENT_EVENTS_SQL).bind(siteId) : db.prepare(RECENT_STORE_EVENTS_SQL).bind(siteId, store);
  const { results } = await stmt.all<EventRow>();
  return results.map((r) => ({
    id: r.event_id,
    type: r.type,
    sbt: r.sbt,
    store: r.store,
    client_ts: new Date(r.client_ts).toISOString(),
    received_at: new Date(r.received_at).toISOString(),
    data: JSON.parse(r.data) as Record<string, unknown>,
  }));
}
