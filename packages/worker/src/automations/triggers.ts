// Reading triggers back, and the manual trigger (seed 002, "appel API manuel"): the shop's own
// backend starts an automation for a profile, with its own identifier and data.
import { isPlainObject } from '@shopbeacon/protocol';
import { invalidFields, ProblemError } from '../problem';
import { sql } from '../sql';
import { runBatch } from '../ingest';
import { triggerJson } from './deliver';
import { claimStatement, toEnqueue } from './outbox';

export const RECENT_TRIGGERS_LIMIT = 200;

// Served by triggers_site_recent (site_id [, rowid]): no sort step.
export const RECENT_TRIGGERS_SQL = `
  SELECT uid, type, identifier, at, data FROM triggers WHERE site_id = ? ORDER BY id DESC LIMIT ${RECENT_TRIGGERS_LIMIT}`;

export async function recentTriggers(db: D1Database, siteId: number) {
  const { results } = await db.prepare(RECENT_TRIGGERS_SQL).bind(siteId).all<{ uid: string; type: string; identifier: string | null; at: number; data: string }>();
  return results.map(triggerJson);
}

export const IDENTIFIER = /^[a-z0-9_.-]{1,64}$/;
export const MANUAL_DATA_BYTES = 8 * 1024;
const PROFILE_KEYS = { customer_email: 'email', external_id: 'external_id', customer_cookie: 'cookie' } as const;

/** Checks POST /api/triggers/:identifier: one profile identifier, and an optional data object of at most 8 KB. */
export function checkManual(identifier: string, body: unknown) {
  const errors = [];
  if (!IDENTIFIER.test(identifier)) errors.push({ field: 'identifier', reason: 'must be 1 to 64 of a-z, 0-9, "_", "." and "-" (the trigger name in the URL)' });
  const b = isPlainObject(body) ? body : {};
  if (!isPlainObject(body)) errors.push({ field: 'body', reason: 'must be a JSON object: { "customer_email": "…", "data": { … } }' });
  for (const k of Object.keys(b)) if (!(k in PROFILE_KEYS) && k !== 'data') errors.push({ field: k.slice(0, 64), reason: 'unknown; send customer_email, external_id or customer_cookie, and data' });
  const ids = (Object.keys(PROFILE_KEYS) as (keyof typeof PROFILE_KEYS)[]).filter((k) => b[k] !== undefined);
  if (ids.length !== 1) errors.push({ field: 'customer_email', reason: 'send exactly one of customer_email, external_id, customer_cookie' });
  else if (typeof b[ids[0]] !== 'string' || !(b[ids[0]] as string).trim() || (b[ids[0]] as string).length > 254) errors.push({ field: ids[0], reason: 'must be a non-empty string' });
  const data = b.data ?? {};
  if (!isPlainObject(data)) errors.push({ field: 'data', reason: 'must be a JSON object' });
  else if (new TextEncoder().encode(JSON.stringify(data)).length > MANUAL_DATA_BYTES) errors.push({ field: 'data', reason: `must be at most ${MANUAL_DATA_BYTES} bytes of JSON` });
  if (errors.length) throw invalidFields(errors);
  const by = ids[0];
  const value = by === 'customer_email' ? (b[by] as string).trim().toLowerCase() : (b[by] as string);
  return { identifier, by, value, data: data as Record<string, unknown> };
}

/** Fires the manual trigger for the profile; 404 when the site has no such profile. */
export async function fireManual(db: D1Database, siteId: number, m: ReturnType<typeof checkManual>, now = Date.now()) {
  const results = await runBatch(db, [
    sql`INSERT INTO triggers (site_id, uid, type, identifier, at, profile_id, data)
        SELECT ${siteId}, 'trg_' || lower(hex(randomblob(12))), 'manual', ${m.identifier}, ${now}, p.id,
               json_object('profile', json_object('customer_email', p.email, 'external_id', p.external_id, 'customer_cookie', p.cookie), 'data', json(${JSON.stringify(m.data)}))
        FROM profiles p WHERE p.id = (SELECT id FROM profiles WHERE site_id = ${siteId} AND ${{ sql: PROFILE_KEYS[m.by], params: [] }} = ${m.value} ORDER BY updated_at DESC LIMIT 1)
        RETURNING uid, type, identifier, at, data`,
    claimStatement(siteId, now),
  ]);
  const [row] = results[0].results as Parameters<typeof triggerJson>[0][];
  if (!row) throw new ProblemError({ status: 404, code: 'profile_not_found', message: `No profile of this site has this ${m.by}.`, fields: [{ field: m.by, reason: 'no profile has it' }] });
  return { trigger: triggerJson(row), enqueue: toEnqueue(results[1]) };
}
