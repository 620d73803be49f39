// The one write path for profiles and orders, whoever sends them (the server API, the browser
// tracker in GET mode): every statement of a call goes into one db.batch, which D1 runs as a
// single transaction, so a call writes everything or nothing, in one round trip.
import type { FieldError, Profile, UpdateInput } from '@shopbeacon/protocol';
import { claimStatement, type Enqueued, toEnqueue } from './automations/outbox';
import { orderJson, type RequiredOrder, type OrderRow, upsertOrder } from './orders';
import { invalidFields, ProblemError } from './problem';
import { legalBasisChange } from './gdpr';
import { profileIdSql, profileJson, type ProfileRow, type Source, upsertProfile } from './profiles';
import { andGuard, type Guard, requestNonce, sql, type Stmt } from './sql';
import type { Site } from './env';
import type { Settings } from './settings';

/** What the write path needs of a site: which one, and its settings. */
export type IngestSite = Pick<Site, 'id' | 'settings'>;

/** Custom field ids must be declared in the settings once the site declares any (seed 000). */
export function undeclaredCustomFields(p: Profile, settings: Settings, where = 'data'): FieldError[] {
  if (!p.custom_fields || settings.custom_fields.length === 0) return [];
  const declared = new Set(settings.custom_fields.map((f) => String(f.id)));
  const list = settings.custom_fields.map((f) => f.id).join(', ');
  return Object.keys(p.custom_fields)
    .filter((id) => !declared.has(id))
    .map((id) => ({ field: `${where}[custom_fields][${id}]`, reason: `is not a custom field of this site (declared: ${list})` }));
}

/** A unique index refusing the write means the two identifiers point at two different profiles. */
function identityConflict(e: unknown): ProblemError | null {
  const message = e instanceof Error ? e.message : String(e);
  if (!message.includes('UNIQUE constraint failed: profiles.')) return null;
  const field = message.includes('profiles.site_id, profiles.email') ? 'data[customer_email]' : 'data[external_id]';
  const reason =
    field === 'data[customer_email]'
      ? 'belongs to another profile, one with a different external_id'
      : 'belongs to another profile, one with a different customer_email';
  return new ProblemError({ status: 409, code: 'profile_conflict', message: `${field} ${reason}; nothing was written.`, fields: [{ field, reason }] });
}

/** Runs the statements as one batch (one transaction, one round trip). */
export async function runBatch(db: D1Database, stmts: Stmt[]) {
  try {
    return await db.batch(stmts.map((s) => db.prepare(s.sql).bind(...s.params)));
  } catch (e) {
    throw identityConflict(e) ?? e;
  }
}

const selectProfile = (siteId: number, p: Profile, source: Source): Stmt => sql`SELECT * FROM profiles WHERE id = ${profileIdSql(siteId, p, source)}`;

/**
 * The statements of one order call: the profile's, the order upsert and, on a new order, the
 * legal basis of the site's GDPR settings. `orderAt` is the index of the order upsert,
 * `profileAt` the last of the profile's. `nonce` names the request: the rows it inserted.
 */
export function orderStatements(site: IngestSite, input: Required<UpdateInput>, source: Source, now: number, nonce: number, guard?: Guard) {
  const { profile } = input;
  const order = input.order as RequiredOrder;
  const stmts = upsertProfile(site.id, profile, site.settings, source, now, nonce, guard);
  const profileAt = stmts.length - 1;
  const orderAt = stmts.length;
  stmts.push(upsertOrder(site.id, profileIdSql(site.id, profile, source), order, source, now, nonce, guard));
  const onOrder = site.settings.gdpr.on_order;
  if (onOrder) {
    // On a new order only (inserted by this request), and only if the profile has no such basis yet.
    const change = legalBasisChange(onOrder, 'order', source === 'tracker' ? 'tracker' : 'api', now);
    stmts.push(sql`UPDATE profiles SET gdpr = json_patch(gdpr, ${change.patch}), version = version + 1, updated_at = ${now}
      WHERE id = (SELECT profile_id FROM orders WHERE site_id = ${site.id} AND idorder = ${order.order_idorder} AND created_in = ${nonce})
        AND ${change.when}${andGuard(guard)}`);
  }
  return { stmts, orderAt, profileAt };
}

/** `triggers`: the ids of the trigger rows the call made that an endpoint wants, to enqueue. */
export type OrderResult = { created: boolean; order: ReturnType<typeof orderJson>; profile: ReturnType<typeof profileJson>; triggers: Enqueued[] };

/** /api/updateOrder: profile and order in one batch, answered with both as stored. */
export async function updateOrder(db: D1Database, site: IngestSite, input: Required<UpdateInput>, source: Source, now = Date.now()): Promise<OrderResult> {
  const undeclared = undeclaredCustomFields(input.profile, site.settings);
  if (undeclared.length) throw invalidFields(undeclared);
  const nonce = requestNonce();
  const { stmts, orderAt, profileAt } = orderStatements(site, input, source, now, nonce);
  // After an on-order legal basis, the profile as it ends up: read after that last change.
  const readAt = site.settings.gdpr.on_order ? stmts.push(selectProfile(site.id, input.profile, source)) - 1 : profileAt;
  stmts.push(claimStatement(site.id, now));
  const results = await runBatch(db, stmts);
  const orderRow = results[orderAt].results[0] as OrderRow;
  const profileRow = results[readAt].results[0] as ProfileRow;
  return {
    created: orderRow.created_in === nonce,
    order: orderJson(orderRow, profileRow, site.settings),
    profile: profileJson(profileRow),
    triggers: toEnqueue(results[results.length - 1]),
  };
}

/** /api/updateCustomer: profile fields only (a newsletter sign-up handler, an account page). */
export async function updateCustomer(db: D1Database, site: IngestSite, profile: Profile, source: Source, now = Date.now()) {
  const undeclared = undeclaredCustomFields(profile, site.settings);
  if (undeclared.length) throw invalidFields(undeclared);
  const nonce = requestNonce();
  const results = await runBatch(db, [...upsertProfile(site.id, profile, site.settings, source, now, nonce), claimStatement(site.id, now)]);
  const row = results[results.length - 2].results[0] as ProfileRow;
  return { created: row.created_in === nonce, profile: profileJson(row), triggers: toEnqueue(results[results.length - 1]) };
}
