// Profiles: find-or-create by customer_email and/or external_id within a site, and update in
// the same statement (INSERT … ON CONFLICT DO UPDATE), so a call costs no read before its write.
// Tags, custom fields and GDPR states are merged in SQL against the stored row.
import type { Profile } from '@shopbeacon/protocol';
import type { GdprTarget, Settings } from './settings';

export type Source = 'api' | 'tracker';

/** Wire name → column, for the plain columns (one value, last write wins). */
const COLUMNS = {
  customer_email: 'email',
  external_id: 'external_id',
  customer_cookie: 'cookie',
  customer_name: 'name',
  customer_firstname: 'firstname',
  customer_gender: 'gender',
  customer_address: 'address',
  customer_address2: 'address2',
  customer_address3: 'address3',
  customer_cp: 'cp',
  customer_city: 'city',
  customer_country: 'country',
  customer_tel: 'tel',
  customer_mobile: 'mobile',
  customer_fonction: 'fonction',
  customer_company: 'company',
  customer_birthday: 'birthday',
  customer_lang: 'lang',
} as const satisfies Partial<Record<keyof Profile, string>>;

const OPTINS = { customer_isoptin: 'isoptin', customer_mobile_isoptin: 'mobile_isoptin' } as const;

/** A statement of the batch: SQL with anonymous ? parameters, in order. */
export interface Stmt {
  sql: string;
  params: unknown[];
}

/** The profile's id as a subquery, for the later statements of the same batch. */
export function profileIdSql(siteId: number, p: Profile): Stmt {
  return p.external_id !== undefined
    ? { sql: '(SELECT id FROM profiles WHERE site_id = ? AND external_id = ?)', params: [siteId, p.external_id] }
    : { sql: '(SELECT id FROM profiles WHERE site_id = ? AND email = ?)', params: [siteId, p.customer_email] };
}

/** Tags kept in insertion order: the stored ones minus `del`, then the new ones of `add`. */
export const mergeTagsSql = (column: string) =>
  `(SELECT json_group_array(value) FROM (
     SELECT value FROM json_each(${column}) WHERE value NOT IN (SELECT value FROM json_each(?))
     UNION ALL
     SELECT value FROM json_each(?) WHERE value NOT IN (SELECT value FROM json_each(${column}))))`;

/** One GDPR state change: a JSON merge patch for profiles.gdpr, applied when `when` holds on the stored row. */
export interface GdprChange {
  patch: string;
  when: Stmt;
}

function gdprChange(target: GdprTarget, status: string, source: string, now: number, when: Stmt): GdprChange {
  const group = target.to === 'consent' ? 'consents' : 'legal_bases';
  return { patch: JSON.stringify({ [group]: { [target.id]: { status, at: new Date(now).toISOString(), source } } }), when };
}

/** The legal basis put on a profile, status accepted, when the event happens and it has none yet. */
export const legalBasisChange = (id: string, source: 'order' | 'account', now: number): GdprChange =>
  gdprChange({ to: 'legal_basis', id }, 'accepted', source, now, { sql: 'json_extract(gdpr, ?) IS NULL', params: [`$.legal_bases."${id}"`] });

/**
 * What the settings make of this call's opt-ins and action (seed 000, "Configurez le RGPD").
 * `incoming` is the SQL (and parameters) of the opt-in value being written: excluded.x in an upsert.
 */
function gdprChanges(p: Profile, settings: Settings, now: number, incoming = (column: string, _v: number): Stmt => ({ sql: `excluded.${column}`, params: [] })): GdprChange[] {
  const changes: GdprChange[] = [];
  const optins = [
    ['customer_isoptin', settings.gdpr.email_optin, 'isoptin', 'email_optin'],
    ['customer_mobile_isoptin', settings.gdpr.sms_optin, 'mobile_isoptin', 'sms_optin'],
  ] as const;
  for (const [field, target, column, source] of optins) {
    const v = p[field];
    if (!target || (v !== 1 && v !== 0)) continue;
    const value = incoming(column, v);
    changes.push(gdprChange(target, v === 1 ? 'accepted' : 'refused', source, now, { sql: `${column} IS NOT ${value.sql}`, params: value.params }));
  }
  if (p.action === 'account' && settings.gdpr.on_account) changes.push(legalBasisChange(settings.gdpr.on_account, 'account', now));
  return changes;
}

/** Deep merge of JSON merge patches, for a new row (RFC 7396 on an empty document). */
function mergePatches(patches: string[]): string {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of patches)
    for (const [group, entries] of Object.entries(JSON.parse(p) as Record<string, Record<string, unknown>>))
      out[group] = { ...out[group], ...entries };
  return JSON.stringify(out);
}

/** The gdpr column's new value: each change merged in when its condition holds on the stored row. */
export function gdprSet(changes: GdprChange[], params: unknown[]): string {
  let expr = 'gdpr';
  for (const c of changes) {
    // Parameters bind in text order: the innermost CASE comes first.
    expr = `json_patch(${expr}, CASE WHEN ${c.when.sql} THEN ? ELSE '{}' END)`;
    params.push(...c.when.params, c.patch);
  }
  return `gdpr = ${expr}`;
}

/**
 * A condition that must hold for the statements to write (SQL with its parameters): the
 * tracker's guard that the event is new, so a retried event changes nothing.
 */
export type Guard = Stmt | undefined;

/**
 * The statements that find or create the profile and apply every field of `p`. When both
 * identifiers are sent and a profile known only by this email exists, it is given the
 * external_id first (the shop has just told us they are the same person).
 */
export function upsertProfile(siteId: number, p: Profile, settings: Settings, source: Source, now: number, guard?: Guard): Stmt[] {
  const stmts: Stmt[] = [];
  const byExternalId = p.external_id !== undefined;
  if (byExternalId && p.customer_email !== undefined) {
    stmts.push({
      sql: `UPDATE profiles SET external_id = ? WHERE site_id = ? AND email = ? AND external_id IS NULL
            AND NOT EXISTS (SELECT 1 FROM profiles WHERE site_id = ? AND external_id = ?)${guard ? ` AND ${guard.sql}` : ''}`,
      params: [p.external_id, siteId, p.customer_email, siteId, p.external_id, ...(guard?.params ?? [])],
    });
  }

  const cols = ['site_id'];
  const values: unknown[] = [siteId];
  const sets: string[] = [];
  const setParams: unknown[] = [];
  for (const [field, column] of Object.entries(COLUMNS)) {
    const v = p[field as keyof typeof COLUMNS];
    if (v === undefined) continue;
    cols.push(column);
    values.push(v);
    if (column !== (byExternalId ? 'external_id' : 'email')) sets.push(`${column} = excluded.${column}`);
  }
  for (const [field, column] of Object.entries(OPTINS)) {
    const v = p[field as keyof typeof OPTINS];
    if (v === undefined) continue;
    cols.push(column, `${column}_at`);
    values.push(v, now);
    // The time is when the choice changed, not when it was last repeated.
    sets.push(`${column}_at = CASE WHEN ${column} IS excluded.${column} THEN ${column}_at ELSE excluded.${column}_at END`);
    sets.push(`${column} = excluded.${column}`);
  }
  if (p.add_tag || p.del_tag) {
    cols.push('tags');
    values.push(JSON.stringify(p.add_tag ?? []));
    sets.push(`tags = ${mergeTagsSql('profiles.tags')}`);
    setParams.push(JSON.stringify(p.del_tag ?? []), JSON.stringify(p.add_tag ?? []));
  }
  if (p.custom_fields) {
    cols.push('custom_fields');
    values.push(JSON.stringify(p.custom_fields));
    // Not excluded.custom_fields: the inserted value has its nulls (cleared fields) removed.
    sets.push('custom_fields = json_patch(custom_fields, ?)');
    setParams.push(JSON.stringify(p.custom_fields));
  }
  const changes = gdprChanges(p, settings, now);
  if (changes.length) {
    cols.push('gdpr');
    values.push(mergePatches(changes.map((c) => c.patch)));
    sets.push(gdprSet(changes, setParams));
  }
  cols.push('source', 'created_at', 'updated_at');
  values.push(source, now, now);
  sets.push('version = version + 1', 'updated_at = excluded.updated_at');

  const insertValues = cols.map((c) => (c === 'custom_fields' ? "json_patch('{}', ?)" : '?')).join(', ');
  stmts.push({
    sql: `INSERT INTO profiles (${cols.join(', ')}) ${guardedValues(insertValues, guard)}
          ON CONFLICT (site_id, ${byExternalId ? 'external_id' : 'email'}) DO UPDATE SET ${sets.join(', ')}
          RETURNING *`,
    params: [...values, ...(guard?.params ?? []), ...setParams],
  });
  return stmts;
}

/** VALUES (…), or the same row selected only when the guard holds. */
export const guardedValues = (values: string, guard: Guard) =>
  guard ? `SELECT ${values} WHERE ${guard.sql}` : `VALUES (${values})`;

/**
 * An opt-in with no email (an SMS sign-up box): it goes to the visitor's profile, found by the
 * sbt cookie, when there is one; the event itself is kept either way.
 */
export function updateProfileByCookie(siteId: number, sbt: string, p: Profile, settings: Settings, now: number, guard?: Guard): Stmt {
  const sets: string[] = [];
  const params: unknown[] = [];
  if (p.customer_mobile !== undefined) {
    sets.push('mobile = ?');
    params.push(p.customer_mobile);
  }
  for (const [field, column] of Object.entries(OPTINS)) {
    const v = p[field as keyof typeof OPTINS];
    if (v === undefined) continue;
    sets.push(`${column}_at = CASE WHEN ${column} IS ? THEN ${column}_at ELSE ? END`, `${column} = ?`);
    params.push(v, now, v);
  }
  const changes = gdprChanges(p, settings, now, (_, v) => ({ sql: '?', params: [v] }));
  if (changes.length) sets.push(gdprSet(changes, params));
  sets.push('version = version + 1', 'updated_at = ?');
  params.push(now);
  return {
    sql: `UPDATE profiles SET ${sets.join(', ')} WHERE site_id = ? AND cookie = ?${guard ? ` AND ${guard.sql}` : ''}`,
    params: [...params, siteId, sbt, ...(guard?.params ?? [])],
  };
}

export interface ProfileRow {
  id: number;
  email: string | null;
  external_id: string | null;
  cookie: string | null;
  name: string | null;
  firstname: string | null;
  isoptin: number | null;
  isoptin_at: number | null;
  mobile_isoptin: number | null;
  mobile_isoptin_at: number | null;
  tags: string;
  custom_fields: string;
  gdpr: string;
  source: string;
  version: number;
  created_at: number;
  updated_at: number;
  [column: string]: unknown;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A profile as the API shows it: the seed's field names. */
export function profileJson(row: ProfileRow) {
  const out: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(COLUMNS)) out[field] = row[column] ?? null;
  return {
    ...out,
    customer_isoptin: row.isoptin,
    customer_isoptin_at: iso(row.isoptin_at),
    customer_mobile_isoptin: row.mobile_isoptin,
    customer_mobile_isoptin_at: iso(row.mobile_isoptin_at),
    tags: JSON.parse(row.tags) as string[],
    custom_fields: JSON.parse(row.custom_fields) as Record<string, string>,
    gdpr: JSON.parse(row.gdpr) as Record<string, Record<string, { status: string; at: string; source: string }>>,
    source: row.source,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
