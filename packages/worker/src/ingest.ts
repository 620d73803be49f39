// The one write path for profiles and orders, whoever sends them (the server API, the browser
// tracker in GET mode): every statement of a call goes into one db.batch, which D1 runs as a
// single transaction, so a call writes everything or nothing, in one round trip.
import type { FieldError, Profile, UpdateInput } from '@shopbeacon/protocol';
import { claimStatement, type Enqueued, toEnqueue } from './automations/outbox';
import { categoryTagsStatement, orderJson, orderLinesStatements, type RequiredOrder, type OrderRow, linesOfOrder, upsertOrder } from './orders';
import { invalidFields, ProblemError } from './problem';
import { legalBasisChange } from './gdpr';
import { isAccountWrite, profileIdSql, profileJson, type ProfileRow, type Source, upsertProfile } from './profiles';
import { andGuard, type Guard, raw, requestNonce, sql, type Stmt } from './sql';
import type { Site } from './env';
import type { Settings } from './settings';

/**
 * The store an order or event names, against the site's stores: once a site declares stores, an
 * order must name one of them (other events may name none); before, none may be named.
 */
export function storeError(settings: Settings, store: string | undefined, field: string, required: boolean): FieldError | null {
  const ids = settings.stores.map((s) => s.id).join(', ');
  if (!settings.stores.length)
    return store === undefined ? null : { field, reason: 'this site declares no stores: declare them in its settings (stores) first, or leave the store out' };
  if (store === undefined) return required ? { field, reason: `is required: this site has several stores (${ids})` } : null;
  return settings.stores.some((s) => s.id === store) ? null : { field, reason: `is not a store of this site (its stores: ${ids})` };
}

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

/** The profile as the batch leaves it; with `lines`, also the order's lines (column order_items). */
const selectProfile = (siteId: number, p: Profile, source: Source, lines?: Stmt): Stmt =>
  sql`SELECT *${lines ? sql`, ${lines} AS order_items` : raw('')} FROM profiles WHERE id = ${profileIdSql(siteId, p, source)}`;

/**
 * The statements of one order call: the profile's, the order upsert, its lines and their category
 * tags and, on a new order, the legal basis of the site's GDPR settings. `orderAt` is the index
 * of the order upsert. `nonce` names the request: the rows it inserted.
 */
export function orderStatements(site: IngestSite, input: Required<UpdateInput>, source: Source, now: number, nonce: number, guard?: Guard) {
  const { profile } = input;
  const order = input.order as RequiredOrder;
  const stmts = upsertProfile(site.id, profile, site.settings, source, now, nonce, guard, isAccountWrite(profile, false));
  const orderAt = stmts.length;
  stmts.push(upsertOrder(site.id, profileIdSql(site.id, profile, source), order, source, now, nonce, guard));
  stmts.push(...orderLinesStatements(site.id, order, source, guard), ...categoryTagsStatement(site.id, order, site.settings, source, now, guard));
  const onOrder = site.settings.gdpr.on_order;
  if (onOrder) {
    // On a new order only (inserted by this request), and only if the profile has no such basis yet.
    const change = legalBasisChange(onOrder, 'order', source === 'tracker' ? 'tracker' : 'api', now);
    stmts.push(sql`UPDATE profiles SET gdpr = json_patch(gdpr, ${change.patch}), version = version + 1, updated_at = ${now}
      WHERE id = (SELECT profile_id FROM orders WHERE site_id = ${site.id} AND idorder = ${order.order_idorder} AND created_in = ${nonce})
        AND ${change.when}${andGuard(guard)}`);
  }
  return { stmts, orderAt };
}

/** `triggers`: the ids of the trigger rows the call made that an endpoint wants, to enqueue. */
export type OrderResult = { created: boolean; order: ReturnType<typeof orderJson>; profile: ReturnType<typeof profileJson>; triggers: Enqueued[] };

/** /api/updateOrder: profile and order in one batch, answered with both as stored. */
export async function updateOrder(db: D1Database, site: IngestSite, input: Required<UpdateInput>, source: Source, now = Date.now()): Promise<OrderResult> {
  const undeclared = undeclaredCustomFields(input.profile, site.settings);
  const store = storeError(site.settings, input.order.store, 'data[store]', true);
  if (undeclared.length || store) throw invalidFields([...undeclared, ...(store ? [store] : [])]);
  const nonce = requestNonce();
  const { stmts, orderAt } = orderStatements(site, input, source, now, nonce);
  // The profile as it ends up, after the automatic tags and an on-order legal basis, and the
  // order's lines as stored: one read.
  const readAt = stmts.push(selectProfile(site.id, input.profile, source, linesOfOrder(site.id, input.order.order_idorder!))) - 1;
  stmts.push(claimStatement(site.id, now));
  const results = await runBatch(db, stmts);
  const orderRow = results[orderAt].results[0] as OrderRow;
  const profileRow = results[readAt].results[0] as ProfileRow & { order_items: string };
  return {
    created: orderRow.created_in === nonce,
    order: orderJson(orderRow, profileRow, site.settings, profileRow.order_items),
    profile: profileJson(profileRow),
    triggers: toEnqueue(results[results.length - 1]),
  };
}

/** /api/updateCustomer: profile fields only (a newsletter sign-up handler, an account page). */
export async function updateCustomer(db: D1Database, site: IngestSite, profile: Profile, source: Source, now = Date.now()) {
  const undeclared = undeclaredCustomFields(profile, site.settings);
  if (undeclared.length) throw invalidFields(undeclared);
  const nonce = requestNonce();
  const account = isAccountWrite(profile, profile.external_id !== undefined);
  const stmts = [...upsertProfile(site.id, profile, site.settings, source, now, nonce, undefined, account), selectProfile(site.id, profile, source), claimStatement(site.id, now)];
  const results = await runBatch(db, stmts);
  const row = results[results.length - 2].results[0] as ProfileRow;
  return { created: row.created_in === nonce, profile: profileJson(row), triggers: toEnqueue(results[results.length - 1]) };
}
