// Profiles: find-or-create by customer_email and/or external_id within a site, and update in
// the same statement (INSERT … ON CONFLICT DO UPDATE), so a call costs no read before its write.
// Tags, custom fields and GDPR states are merged in SQL against the stored row.
import type { Profile } from '@shopbeacon/protocol';
import { gdprChanges, gdprSet, mergePatches } from './gdpr';
import type { Settings } from './settings';
import { type Guard, guardedValues, mergeTagsSql, type Stmt } from './sql';

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

/** The profile's id as a subquery, for the later statements of the same batch. */
export function profileIdSql(siteId: number, p: Profile): Stmt {
  return p.external_id !== undefined
    ? { sql: '(SELECT id FROM profiles WHERE site_id = ? AND external_id = ?)', params: [siteId, p.external_id] }
    : { sql: '(SELECT id FROM profiles WHERE site_id = ? AND email = ?)', params: [siteId, p.customer_email] };
}

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
