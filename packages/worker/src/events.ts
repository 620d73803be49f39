// Reading tracker events back (the dashboard's "recent events", and integrators checking that
// the snippet works).

export const RECENT_EVENTS_LIMIT = 200;

// Served by events_site_recent (site_id [, rowid]): no sort step (test/collect.test.ts).
export const RECENT_EVENTS_SQL = `
  SELECT event_id, type, sbt, data, client_ts, received_at FROM events
  WHERE site_id = ? ORDER BY id DESC LIMIT ${RECENT_EVENTS_LIMIT}`;

interface EventRow {
  event_id: string;
  type: string;
  sbt: string;
  data: string;
  client_ts: number;
  received_at: number;
}

/** The site's last 200 events of every type, newest first. */
export async function recentEvents(db: D1Database, siteId: number) {
  const { results } = await db.prepare(RECENT_EVENTS_SQL).bind(siteId).all<EventRow>();
  return results.map((r) => ({
    id: r.event_id,
    type: r.type,
    sbt: r.sbt,
    client_ts: new Date(r.client_ts).toISOString(),
    received_at: new Date(r.received_at).toISOString(),
    data: JSON.parse(r.data) as Record<string, unknown>,
  }));
}
