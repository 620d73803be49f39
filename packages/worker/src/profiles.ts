// Profiles: find-or-create by customer_email and/or external_id within a site, and update in
// the same statements, so a call costs no read before its write. Tags, custom fields and GDPR
// states are merged in SQL against the stored row.
//
// Two kinds of writer, two rules. The shop's server (source api) is the truth: its values win,
// and it wins every identity conflict with an identifier the browser put on a profile. The
// browser tracker (source tracker) is anyone holding the public key: it never creates or changes
// the link between an email and an external_id of an existing profile, and on a profile the
// server has written it only fills what is empty. A third, the opt-in callbacks
// (automations/callback-inbound.ts), writes opt-ins alone, with the server's authority over them.
// `version` and `updated_at` move only when a value really changed, so a retried call is not a change.
import type { Profile } from '@shopbeacon/protocol';
import { gdprChanges, gdprValue, mergePatches } from './gdpr';
import type { Settings } from './settings';
import { andGuard, anyOf, type Guard, guardedValues, join, mergeTagsSql, raw, sql, type Stmt, tagsChangeSql } from './sql';

/** Who writes through these statements: the shop's server (API) or the browser tracker (an import is import.ts's). */
export type Source = 'api' | 'tracker';

/** Wire name → column, for the plain columns (one value each). */
export const PLAIN = {
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

const COLUMNS = { customer_email: 'email', external_id: 'external_id', ...PLAIN } as const;

const OPTINS = { customer_isoptin: 'isoptin', customer_mobile_isoptin: 'mobile_isoptin' } as const;

/** The values of `p` for the plain columns, as [column, value]. */
const plainValues = (p: Profile) =>
  Object.entries(PLAIN).flatMap(([field, column]) => {
    const v = p[field as keyof typeof PLAIN];
    return v === undefined ? [] : [[column, v] as const];
  });

const optinValues = (p: Profile) =>
  Object.entries(OPTINS).flatMap(([field, column]) => {
    const v = p[field as keyof typeof OPTINS];
    return v === undefined ? [] : [[column, v] as const];
  });

const byId = (siteId: number, column: 'email' | 'external_id', v: string) =>
  sql`(SELECT id FROM profiles WHERE site_id = ${siteId} AND ${raw(column)} = ${v})`;

/**
 * The profile's id as a subquery, for the later statements of the same batch. The server's
 * profile is the external_id's (its upsert has just put the email on it); the browser's, which
 * never links the two, is the external_id's if there is one, else the email's.
 */
export function profileIdSql(siteId: number, p: Profile, source: Source): Stmt {
  const ext = p.external_id !== undefined ? byId(siteId, 'external_id', p.external_id) : undefined;
  const email = p.customer_email !== undefined ? byId(siteId, 'email', p.customer_email) : undefined;
  if (ext && email && source === 'tracker') return sql`coalesce(${ext}, ${email})`;
  return (ext ?? email)!;
}

/** One column's new value, and (when cheaper than comparing it) the test that it differs from the stored one. */
type Change = [column: string, next: Stmt, changed?: Stmt];

const assignments = (changes: Change[]) => join(changes.map(([c, next]) => sql`${raw(c)} = ${next}`));
const differs = (changes: Change[]) => anyOf(changes.map(([c, next, changed]) => changed ?? sql`${raw(c)} IS NOT ${next}`));

/**
 * The automatic tag a write gives (settings.auto_tags), when it makes the change that earns it:
 * registration to an account write (isAccountWrite) on a profile that had no account;
 * newsletter to an email opt-in turned 1 on a profile without an account nor the shop's own
 * customer id. The two never meet: an account write's opt-in box earns registration only.
 */
export function autoTag(p: Profile, settings: Settings, account: boolean): { kind: 'registration' | 'newsletter'; tag: string } | null {
  const { registration, newsletter } = settings.auto_tags;
  if (account) return registration ? { kind: 'registration', tag: registration } : null;
  if (newsletter && p.customer_isoptin === 1 && p.external_id === undefined && p.customer_email !== undefined) return { kind: 'newsletter', tag: newsletter };
  return null;
}

/**
 * The tags column's change: add_tag/del_tag merged, and the automatic tag too when `auto.when`
 * holds of the stored row. `allowed` (the browser's): add_tag/del_tag only where it holds; the
 * automatic tag is added either way, since it follows a change that was itself allowed.
 */
function tagsChange(column: string, p: Profile, auto: { when: Stmt; tag: string } | null, allowed?: Stmt): Change {
  const del = p.del_tag ?? [];
  const add = p.add_tag ?? [];
  const M = (d: string[], a: string[]) => mergeTagsSql(column, d, a);
  const T = (d: string[], a: string[]) => tagsChangeSql(column, d, a);
  const plain = allowed ? sql`CASE WHEN ${allowed} THEN ${M(del, add)} ELSE ${raw(column)} END` : M(del, add);
  const plainTest = allowed ? sql`${allowed} AND ${T(del, add)}` : T(del, add);
  if (!auto) return ['tags', plain, plainTest];
  const withTag = add.includes(auto.tag) ? add : [...add, auto.tag];
  const value = allowed ? sql`CASE WHEN ${allowed} THEN ${M(del, withTag)} ELSE ${M([], [auto.tag])} END` : M(del, withTag);
  const test = allowed ? sql`(${allowed} AND ${T(del, withTag)}) OR ${T([], [auto.tag])}` : T(del, withTag);
  return ['tags', sql`CASE WHEN ${auto.when} THEN ${value} ELSE ${plain} END`, sql`((${auto.when}) AND (${test})) OR (${plainTest})`];
}

/** Columns and values of a new row (shared by the server's upsert and the browser's insert). */
function newRow(siteId: number, p: Profile, settings: Settings, source: Source, now: number, nonce: number, account = false) {
  const cols: string[] = ['site_id'];
  const values: Stmt[] = [sql`${siteId}`];
  const add = (column: string, value: Stmt) => (cols.push(column), values.push(value));
  if (p.customer_email !== undefined) (add('email', sql`${p.customer_email}`), add('email_source', sql`${source}`));
  if (p.external_id !== undefined) (add('external_id', sql`${p.external_id}`), add('external_id_source', sql`${source}`));
  for (const [column, v] of plainValues(p)) add(column, sql`${v}`);
  for (const [column, v] of optinValues(p)) (add(column, sql`${v}`), add(`${column}_at`, sql`${now}`), add(`${column}_source`, sql`${source}`));
  const tags = [...(p.add_tag ?? [])];
  const auto = autoTag(p, settings, account);
  if (auto && !tags.includes(auto.tag)) tags.push(auto.tag);
  if (tags.length) add('tags', sql`${JSON.stringify(tags)}`);
  if (account) add('has_account', raw('1'));
  // json_patch on {} drops the nulls (cleared fields) of the call.
  if (p.custom_fields) add('custom_fields', sql`json_patch('{}', ${JSON.stringify(p.custom_fields)})`);
  const gdpr = gdprChanges(p, settings, source, now, () => raw('1'));
  if (gdpr.length) add('gdpr', sql`${mergePatches(gdpr.map((c) => c.patch))}`);
  add('server_written', raw(source === 'tracker' ? '0' : '1'));
  add('api_written', raw(source === 'tracker' ? '0' : '1'));
  add('source', sql`${source}`);
  add('created_at', sql`${now}`);
  add('updated_at', sql`${now}`);
  add('created_in', sql`${nonce}`);
  return { cols: raw(cols.join(', ')), values: join(values) };
}

/**
 * The server's statements: settle identity conflicts with what the browser made, then one
 * upsert keyed by external_id (or email) that writes every field sent. When the email and the
 * external_id are on two profiles that the server itself made so, the upsert's unique index
 * refuses it: 409, and the batch writes nothing.
 */
function serverUpsert(siteId: number, p: Profile, settings: Settings, source: Source, now: number, nonce: number, account: boolean): Stmt[] {
  const stmts: Stmt[] = [];
  const email = p.customer_email;
  const ext = p.external_id;
  if (email !== undefined && ext !== undefined) {
    const extHolder = sql`EXISTS (SELECT 1 FROM profiles WHERE site_id = ${siteId} AND external_id = ${ext})`;
    // The profile with this email cannot simply be given this external_id (another profile has
    // it, or it has a server-made one of its own), and the browser put the email there: it goes.
    stmts.push(sql`UPDATE profiles SET email = NULL, email_source = NULL, version = version + 1, updated_at = ${now}
      WHERE site_id = ${siteId} AND email = ${email} AND email_source = 'tracker' AND external_id IS NOT ${ext}
        AND (${extHolder} OR (external_id IS NOT NULL AND external_id_source <> 'tracker'))`);
    // Another profile holds this external_id because the browser put it there, while the email
    // is on a profile of its own: the external_id goes, to be linked just below.
    stmts.push(sql`UPDATE profiles SET external_id = NULL, external_id_source = NULL, version = version + 1, updated_at = ${now}
      WHERE site_id = ${siteId} AND external_id = ${ext} AND external_id_source = 'tracker' AND email IS NOT ${email}
        AND EXISTS (SELECT 1 FROM profiles WHERE site_id = ${siteId} AND email = ${email})`);
    // The profile known by this email is given the external_id (the shop has just told us they
    // are one person), replacing one the browser gave it.
    stmts.push(sql`UPDATE profiles SET external_id = ${ext}, external_id_source = ${source}, server_written = 1, api_written = 1, version = version + 1, updated_at = ${now}
      WHERE site_id = ${siteId} AND email = ${email} AND (external_id IS NULL OR external_id_source = 'tracker')
        AND NOT ${extHolder}`);
  }

  const key = ext !== undefined ? 'external_id' : 'email';
  const changes: Change[] = [];
  const alsoSet: Change[] = [[`${key}_source`, sql`${source}`]];
  if (key === 'external_id' && email !== undefined) {
    changes.push(['email', raw('excluded.email')]);
    alsoSet.push(['email_source', raw('excluded.email_source')]);
  }
  for (const [column] of plainValues(p)) changes.push([column, raw(`excluded.${column}`)]);
  for (const [column] of optinValues(p)) {
    // The time is when the choice changed, not when it was last repeated; the source is who
    // stands behind the current choice (the server, once it has repeated it).
    alsoSet.push([`${column}_at`, raw(`CASE WHEN ${column} IS excluded.${column} THEN ${column}_at ELSE excluded.${column}_at END`)]);
    alsoSet.push([`${column}_source`, raw(`excluded.${column}_source`)]);
    changes.push([column, raw(`excluded.${column}`)]);
  }
  const auto = autoTag(p, settings, account);
  if (p.add_tag || p.del_tag || auto) {
    // ON CONFLICT's SET reads the stored row: has_account and isoptin as they were before this call.
    const when = auto?.kind === 'registration' ? raw('profiles.has_account = 0') : raw('profiles.has_account = 0 AND profiles.external_id IS NULL AND profiles.isoptin IS NOT 1');
    changes.push(tagsChange('profiles.tags', p, auto && { when, tag: auto.tag }));
  }
  if (account) changes.push(['has_account', raw('1')]);
  if (p.custom_fields) changes.push(['custom_fields', sql`json_patch(custom_fields, ${JSON.stringify(p.custom_fields)})`]);
  const gdpr = gdprChanges(p, settings, source, now, (column) => raw(`${column} IS NOT excluded.${column}`));
  if (gdpr.length) changes.push(['gdpr', gdprValue(gdpr)]);
  alsoSet.push(['server_written', raw('1')], ['api_written', raw('1')]);
  const changed = differs(changes);
  const row = newRow(siteId, p, settings, source, now, nonce, account);
  stmts.push(sql`INSERT INTO profiles (${row.cols}) VALUES (${row.values})
    ON CONFLICT (site_id, ${raw(key)}) DO UPDATE SET ${assignments([...changes, ...alsoSet])},
      version = CASE WHEN ${changed} THEN version + 1 ELSE version END,
      updated_at = CASE WHEN ${changed} THEN excluded.updated_at ELSE updated_at END
    RETURNING *`);
  return stmts;
}

/**
 * What a browser event changes on a stored profile: on one the server never wrote, what it
 * sends; on one it did, only what is empty (an opt-in also when the browser recorded it). No
 * identifier, no del_tag on a server's profile, no consent the server recorded, and no opt-in a
 * callback recorded (callback-inbound.ts: the shop platform's word, on any profile).
 */
function trackerChanges(p: Profile, settings: Settings, now: number, account: boolean): Change[] {
  const changes: Change[] = [];
  for (const [column, v] of plainValues(p))
    changes.push([column, sql`CASE WHEN server_written = 0 OR ${raw(column)} IS NULL THEN ${v} ELSE ${raw(column)} END`]);
  const optinChange = (column: string, v: number) =>
    sql`((server_written = 0 AND ${raw(`${column}_source`)} IS NOT 'callback') OR ${raw(column)} IS NULL OR ${raw(column)} = -1 OR ${raw(`${column}_source`)} = 'tracker') AND ${raw(column)} IS NOT ${v}`;
  for (const [column, v] of optinValues(p)) {
    // A choice recorded after this event was sent stands: a queued event written late (retried,
    // deferred) must not bring back the opt-in the visitor withdrew after it.
    const when = sql`${optinChange(column, v)} AND (${raw(`${column}_at`)} IS NULL OR ${raw(`${column}_at`)} <= ${now})`;
    changes.push([`${column}_at`, sql`CASE WHEN ${when} THEN ${now} ELSE ${raw(`${column}_at`)} END`]);
    changes.push([`${column}_source`, sql`CASE WHEN ${when} THEN 'tracker' ELSE ${raw(`${column}_source`)} END`]);
    changes.push([column, sql`CASE WHEN ${when} THEN ${v} ELSE ${raw(column)} END`]);
  }
  const auto = autoTag(p, settings, account);
  if (p.add_tag || p.del_tag || auto) {
    // The automatic tag follows the change it comes with: the browser's account on a profile the
    // server has never written, its opt-in where the opt-in itself is taken. Other tags, on a
    // server's profile, only where it has none (so del_tag has nothing to remove).
    const allowed = raw(`(server_written = 0 OR tags = '[]')`);
    const when = auto?.kind === 'registration' ? raw('server_written = 0 AND has_account = 0') : sql`has_account = 0 AND external_id IS NULL AND ${optinChange('isoptin', 1)}`;
    changes.push(tagsChange('tags', p, auto && { when, tag: auto.tag }, allowed));
  }
  if (account) changes.push(['has_account', raw('CASE WHEN server_written = 0 THEN 1 ELSE has_account END')]);
  if (p.custom_fields) {
    const sent = JSON.stringify(p.custom_fields);
    // On a server's profile, only the fields it has no value for; a clear (null) is not a value.
    const unset = sql`(SELECT json_group_object(key, value) FROM json_each(${sent})
      WHERE value IS NOT NULL AND json_extract(custom_fields, '$."' || key || '"') IS NULL)`;
    changes.push(['custom_fields', sql`CASE WHEN server_written = 0 THEN json_patch(custom_fields, ${sent}) ELSE json_patch(custom_fields, ${unset}) END`]);
  }
  const gdpr = gdprChanges(p, settings, 'tracker', now, optinChange);
  if (gdpr.length) changes.push(['gdpr', gdprValue(gdpr)]);
  return changes;
}

/** The browser's update of the profiles `where` selects, written only when a value changes. */
function trackerUpdate(where: Stmt, p: Profile, settings: Settings, now: number, guard: Guard, account = false): Stmt {
  const changes = trackerChanges(p, settings, now, account);
  return sql`UPDATE profiles SET ${assignments(changes)}, version = version + 1, updated_at = ${now}
    WHERE ${where} AND (${differs(changes)})${andGuard(guard)}`;
}

/**
 * The statements of a write to a profile by its identifiers: the server's upsert, or the
 * browser's update of the profile it names then, when there is none, its insert. Neither of the
 * browser's ever meets a unique index: an identity conflict is not something it can cause, nor
 * learn about (the answer does not say whether an email is known).
 */
export function upsertProfile(siteId: number, p: Profile, settings: Settings, source: Source, now: number, nonce: number, guard?: Guard, account = false): Stmt[] {
  if (source !== 'tracker') return serverUpsert(siteId, p, settings, source, now, nonce, account);
  const known: Stmt[] = [];
  if (p.external_id !== undefined) known.push(sql`EXISTS (SELECT 1 FROM profiles WHERE site_id = ${siteId} AND external_id = ${p.external_id})`);
  if (p.customer_email !== undefined) known.push(sql`EXISTS (SELECT 1 FROM profiles WHERE site_id = ${siteId} AND email = ${p.customer_email})`);
  const row = newRow(siteId, p, settings, source, now, nonce, account);
  return [
    trackerUpdate(sql`id = ${profileIdSql(siteId, p, source)}`, p, settings, now, guard, account),
    sql`INSERT INTO profiles (${row.cols}) ${guardedValues(row.values, sql`NOT (${anyOf(known)})${andGuard(guard)}`)}`,
  ];
}

/**
 * Whether a write is an account's (the automatic tag registration, has_account): `action=account`
 * says so; otherwise, by default for updateCustomer and a customers import when the shop gives its
 * own customer id (external_id), and for the browser's account event, unless `action=newsletter`
 * says it is a sign-up form's.
 */
export const isAccountWrite = (p: Profile, byDefault: boolean) => p.action === 'account' || (byDefault && p.action !== 'newsletter');


/**
 * An opt-in with no email (an SMS sign-up box): it goes to the visitor's profiles, found by the
 * sbt cookie, when there are any; the event itself is kept either way.
 */
export const updateProfileByCookie = (siteId: number, sbt: string, p: Profile, settings: Settings, now: number, guard?: Guard): Stmt =>
  trackerUpdate(sql`site_id = ${siteId} AND cookie = ${sbt}`, p, settings, now, guard);

export interface ProfileRow {
  id: number;
  email: string | null;
  external_id: string | null;
  cookie: string | null;
  name: string | null;
  firstname: string | null;
  isoptin: number | null;
  isoptin_at: number | null;
  isoptin_source: string | null;
  mobile_isoptin: number | null;
  mobile_isoptin_at: number | null;
  mobile_isoptin_source: string | null;
  tags: string;
  custom_fields: string;
  gdpr: string;
  has_account: number;
  source: string;
  version: number;
  created_in: number | null;
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
    customer_isoptin_source: row.isoptin_source,
    customer_mobile_isoptin: row.mobile_isoptin,
    customer_mobile_isoptin_at: iso(row.mobile_isoptin_at),
    customer_mobile_isoptin_source: row.mobile_isoptin_source,
    tags: JSON.parse(row.tags) as string[],
    custom_fields: JSON.parse(row.custom_fields) as Record<string, string>,
    gdpr: JSON.parse(row.gdpr) as Record<string, Record<string, { status: string; at: string; source: string; reason: string }>>,
    has_account: row.has_account === 1,
    source: row.source,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
