// Historical imports (npm run import → POST /api/import/customers and /api/import/orders): up to
// 1,000 rows a request, each checked exactly as /api/updateCustomer or /api/updateOrder checks its
// body (checkUpdate, the site's custom fields and stores); the good ones written in a few
// statements over json_each, whatever the number of rows: D1 counts statements, not rows.
//
// An import is the shop's own history, written with its private key, so it has the server's
// authority, with two differences from the live API:
// - it is history, not news: an imported order fires no order.created nor order change trigger
//   (migrations 0007, 0011), and takes its received and updated times from its own
//   order_crea_dt, so the last 200 live orders stay on top of Verify orders;
// - it never overrides what the live API wrote, which is newer than any export: an order the API
//   wrote is kept as it is, and on a profile the API wrote an import only fills what is empty.
// Running the same import twice changes nothing: every write is an upsert, and a row whose
// values are already stored is not written at all (no version bump, no trigger).
//
// Unlike the single call's statements (profiles.ts), which merge in SQL with no read, a batch is
// read first (one statement for its profiles, one for its orders) and its new values computed
// here: identity conflicts between rows are found before anything is written, so one bad row
// cannot fail a batch. The write batch checks each updated row's version, and inserts skip a row
// another writer inserted meanwhile: those rows are read and written again (up to 3 times).
import { checkUpdate, type FieldError, type Item, LIMITS, type Order, type Profile } from '@shopbeacon/protocol';
import { claimStatement, type Enqueued, toEnqueue } from './automations/outbox';
import { storeError, undeclaredCustomFields, type IngestSite } from './ingest';
import { categoryTags, linesJsonSql } from './orders';
import { autoTag, isAccountWrite, PLAIN } from './profiles';
import { requestNonce } from './sql';

export type ImportKind = 'customers' | 'orders';
export const IMPORT_ROWS = 1000;
/** A batch of 1,000 orders with their lines fits (a line is ~100 bytes). */
export const IMPORT_BODY_BYTES = 8 * 1024 * 1024;
const IMPORT_ID = /^imp_[A-Za-z0-9_-]{8,64}$/;
const ATTEMPTS = 3;

export interface ImportBatch {
  import: string;
  file: string;
  batch: number;
  first_row: number;
  rows: unknown[];
  done: boolean;
}

export interface ImportResult {
  taken: number;
  /** Rows left as they were because the live API wrote them (orders), counted in taken. */
  kept: number;
  rejected: (FieldError & { row: number })[];
  /** False when this batch had been counted before (sent again after a crash). */
  counted: boolean;
  triggers: Enqueued[];
}

/** The request's envelope; its rows are checked one by one later. */
export function checkImportBatch(body: unknown): { batch: ImportBatch; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  if (b !== body) errors.push({ field: 'body', reason: 'must be a JSON object: { "import": "imp_…", "file": "…", "batch": 0, "first_row": 1, "rows": [ … ] }' });
  for (const k of Object.keys(b))
    if (!['import', 'file', 'batch', 'first_row', 'rows', 'done'].includes(k)) errors.push({ field: k.slice(0, 64), reason: 'unknown; an import batch has import, file, batch, first_row, rows, done' });
  if (typeof b.import !== 'string' || !IMPORT_ID.test(b.import)) errors.push({ field: 'import', reason: 'must be the import id: imp_ and 8 to 64 letters, digits, "-" or "_"' });
  if (typeof b.file !== 'string' || !b.file.trim() || b.file.length > 255) errors.push({ field: 'file', reason: 'must be the name of the file imported, 1 to 255 characters' });
  if (!Number.isSafeInteger(b.batch) || (b.batch as number) < 0) errors.push({ field: 'batch', reason: 'must be the batch number: a whole number from 0' });
  if (!Number.isSafeInteger(b.first_row) || (b.first_row as number) < 1) errors.push({ field: 'first_row', reason: 'must be the row number of rows[0]: a whole number from 1' });
  if (!Array.isArray(b.rows) || b.rows.length > IMPORT_ROWS) errors.push({ field: 'rows', reason: `must be a list of at most ${IMPORT_ROWS} rows, each { "data": { … } }` });
  if (b.done !== undefined && typeof b.done !== 'boolean') errors.push({ field: 'done', reason: 'must be true (the last request of the import) or left out' });
  return { batch: { import: b.import as string, file: (b.file as string)?.trim(), batch: b.batch as number, first_row: b.first_row as number, rows: (b.rows as unknown[]) ?? [], done: b.done === true }, errors };
}

/** A row that passed its checks: what it says of the profile (and of the order). */
interface Good {
  row: number;
  profile: Profile;
  order?: Order & { order_idorder: string };
  account: boolean;
}

/** The rows of one person within a batch: their fields merged in row order (the later wins). */
interface Group {
  rows: Good[];
  email?: string;
  ext?: string;
  profile: Profile;
  account: boolean;
  /** Tags earned by the group's orders' lines. */
  categoryTags: Set<string>;
}

type Row = Record<string, unknown>;

const PROFILE_COLUMNS = ['email', 'external_id', ...Object.values(PLAIN), 'isoptin', 'mobile_isoptin', 'tags', 'custom_fields', 'has_account'] as const;
/** What a write of a stored profile may change: nothing changed, nothing written. */
const CHANGED_COLUMNS = [...PROFILE_COLUMNS, 'isoptin_at', 'mobile_isoptin_at'];

/**
 * Groups the rows by person: by external_id, else by email; a row joins the group that holds
 * either. A row naming an email and an external_id that belong to two groups is refused, as the
 * API refuses a call linking two profiles.
 */
function groupRows(goods: Good[], reject: (g: Good, field: string, reason: string) => void): Group[] {
  const groups: Group[] = [];
  const byExt = new Map<string, Group>();
  const byEmail = new Map<string, Group>();
  for (const g of goods) {
    const ext = g.profile.external_id;
    const email = g.profile.customer_email;
    const a = ext !== undefined ? byExt.get(ext) : undefined;
    const b = email !== undefined ? byEmail.get(email) : undefined;
    if (a && b && a !== b) {
      reject(g, 'data[customer_email]', `belongs to another customer of this batch (row ${b.rows[0].row}), one with a different external_id`);
      continue;
    }
    const group = a ?? b;
    if (group && ext !== undefined && group.ext !== undefined && group.ext !== ext) {
      reject(g, 'data[external_id]', `differs from the external_id "${group.ext}" given to this email at row ${group.rows[0].row}`);
      continue;
    }
    const into = group ?? { rows: [], profile: {}, account: false, categoryTags: new Set<string>() };
    if (!group) groups.push(into);
    into.rows.push(g);
    into.account ||= g.account;
    const { add_tag, del_tag, custom_fields, ...fields } = g.profile;
    const p = into.profile;
    Object.assign(p, fields);
    if (add_tag) p.add_tag = [...new Set([...(p.add_tag ?? []).filter((t) => !del_tag?.includes(t)), ...add_tag])];
    if (del_tag) p.del_tag = [...new Set([...(p.del_tag ?? []).filter((t) => !add_tag?.includes(t)), ...del_tag])];
    if (custom_fields) p.custom_fields = { ...p.custom_fields, ...custom_fields };
    if (ext !== undefined) (into.ext = ext), byExt.set(ext, into);
    if (email !== undefined) {
      if (into.email !== undefined && into.email !== email && byEmail.get(into.email) === into) byEmail.delete(into.email);
      into.email = email;
      byEmail.set(email, into);
    }
  }
  return groups;
}

/** Tags after del then add, in order, without repeats. */
const mergeTags = (stored: string[], del: string[], add: string[]) => {
  const kept = del.length ? stored.filter((t) => !del.includes(t)) : [...stored];
  for (const t of add) if (!kept.includes(t)) kept.push(t);
  return kept;
};

/** The tags column after del then add: the stored text itself when the list is the same. */
function mergedTagsText(stored: string, del: string[], add: string[]): string {
  const list = JSON.parse(stored) as string[];
  const merged = mergeTags(list, del, add);
  return merged.length === list.length && merged.every((t, i) => t === list[i]) ? stored : JSON.stringify(merged);
}

const PLAIN_ENTRIES = Object.entries(PLAIN) as [keyof typeof PLAIN, string][];
const OPTIN_COLUMNS = [['customer_isoptin', 'isoptin'], ['customer_mobile_isoptin', 'mobile_isoptin']] as const;

/**
 * The profile row a group ends as: on a new profile, what it says; on a stored one, what it says
 * where the import may write (a profile the browser alone or an import wrote), else only what is
 * empty. Returns null when nothing would change.
 */
function profileRow(group: Group, old: Row | undefined, site: IngestSite, now: number, nonce: number): Row | null {
  const p = group.profile;
  const fillOnly = !!old && old.api_written === 1;
  const out: Row = old ? { ...old } : { email: null, external_id: null, tags: '[]', custom_fields: '{}', has_account: 0, isoptin: null, mobile_isoptin: null };
  const put = (column: string, v: unknown) => {
    if (v === undefined) return;
    if (!fillOnly || out[column] === null || out[column] === undefined) out[column] = v;
  };
  put('email', p.customer_email);
  if (p.external_id !== undefined && (out.external_id === null || old?.external_id_source === 'tracker')) out.external_id = p.external_id;
  for (const [field, column] of PLAIN_ENTRIES) put(column, p[field]);
  for (const [field, column] of OPTIN_COLUMNS) {
    const v = p[field];
    if (v === undefined || out[column] === v) continue;
    if (fillOnly && out[column] !== null && out[column] !== -1) continue;
    out[column] = v;
    out[`${column}_at`] = now;
    out[`${column}_source`] = 'import';
  }
  // The automatic tags, as the API gives them (profiles.ts autoTag), decided on the stored row.
  const auto = autoTag(p, site.settings, group.account);
  const add = [...(p.add_tag ?? [])];
  if (auto?.kind === 'registration' && !(old?.has_account === 1)) add.push(auto.tag);
  if (auto?.kind === 'newsletter' && old?.has_account !== 1 && !old?.external_id && old?.isoptin !== 1 && out.isoptin === 1) add.push(auto.tag);
  add.push(...group.categoryTags);
  out.tags = mergedTagsText(out.tags as string, fillOnly ? [] : (p.del_tag ?? []), add);
  if (p.custom_fields) {
    const cf = JSON.parse(out.custom_fields as string) as Record<string, string>;
    for (const [id, v] of Object.entries(p.custom_fields)) {
      if (fillOnly && cf[id] !== undefined) continue;
      if (v === null) delete cf[id];
      else cf[id] = v;
    }
    out.custom_fields = JSON.stringify(cf);
  }
  if (group.account) out.has_account = 1;
  if (!old) {
    return {
      ...out,
      email_source: out.email === null ? null : 'import',
      external_id_source: out.external_id === null ? null : 'import',
      server_written: 1,
      source: 'import',
      created_at: now,
      updated_at: now,
      created_in: nonce,
    };
  }
  if (out.external_id !== old.external_id) out.external_id_source = 'import';
  if (out.email !== old.email) out.email_source = 'import';
  const changed = CHANGED_COLUMNS.some((c) => out[c] !== old[c]);
  return changed ? { ...out, server_written: 1 } : null;
}

const ORDER_COLUMNS = ['state', 'amount', 'crea_dt', 'start_service', 'end_service', 'tags', 'product_attributes', 'pickup_location', 'store'] as const;

/** "Y-m-d H:i:s" (UTC) as ms: an imported order's received and updated times are its own date. */
const orderTime = (dt: string) => Date.parse(`${dt.replace(' ', 'T')}Z`);

/** A line as order_lines stores it (its quantity 1 by default): LINE_COLUMNS' values. */
const lineOf = (l: Item) => [l.product_id ?? null, l.sku ?? null, l.name ?? null, l.category ?? null, l.quantity ?? 1, l.unit_price ?? null];
/** The same as linesJsonSql reads it back: the fields set only, in the columns' order. */
const storedForm = (l: ReturnType<typeof lineOf>) => Object.fromEntries(LINE_COLUMNS.map((c, i) => [c, l[i]] as const).filter(([, v]) => v !== null));

// Each statement is driven by the batch's rows (json_each first, CROSS JOIN keeps it so; "+" keeps
// SQLite from scanning by site_id instead of searching by id), never by the site's rows:
// test/import.test.ts checks the plans. A row goes as a JSON list, its values in the order of
// the statement's columns (value ->> 0, ->> 1, …): SQLite reads a list's values faster than an
// object's keys, and the lists are a third shorter.
const positions = (names: readonly string[], v = 'value') => Object.fromEntries(names.map((c, i) => [c, `${v} ->> ${i}`])) as Record<string, string>;

const PROFILE_INSERT_COLUMNS = ['email', 'email_source', 'external_id', 'external_id_source', ...Object.values(PLAIN), 'isoptin', 'isoptin_at', 'isoptin_source', 'mobile_isoptin', 'mobile_isoptin_at', 'mobile_isoptin_source', 'tags', 'custom_fields', 'has_account', 'created_at', 'updated_at', 'created_in'];
export const INSERT_PROFILES = `
  INSERT INTO profiles (site_id, ${PROFILE_INSERT_COLUMNS.join(', ')}, server_written, source)
  SELECT ?1, ${Object.values(positions(PROFILE_INSERT_COLUMNS)).join(', ')}, 1, 'import'
  FROM json_each(?2) WHERE 1
  ON CONFLICT DO NOTHING
  RETURNING email, external_id`;

const SET_COLUMNS = ['email', 'email_source', 'external_id', 'external_id_source', ...Object.values(PLAIN), 'isoptin', 'isoptin_at', 'isoptin_source', 'mobile_isoptin', 'mobile_isoptin_at', 'mobile_isoptin_source', 'tags', 'custom_fields', 'has_account', 'server_written'];
const PROFILE_UPDATE_COLUMNS = ['id', 'version', ...SET_COLUMNS];

// The version check: a row another writer changed since it was read is not written (and is
// read and written again).
const pu = positions(PROFILE_UPDATE_COLUMNS, 'u.value');
export const UPDATE_PROFILES = `
  UPDATE profiles SET ${SET_COLUMNS.map((c) => `${c} = ${pu[c]}`).join(', ')}, version = version + 1, updated_at = ?2
  FROM json_each(?3) u
  WHERE profiles.id = ${pu.id} AND +profiles.site_id = ?1 AND profiles.version = ${pu.version}
  RETURNING profiles.id`;

/** An order row: its group's external_id, else its email, then its columns. */
const ORDER_ROW = ['idorder', 'ext', 'email', ...ORDER_COLUMNS, 'at'] as const;
const ORDER_UPDATE_ROW = ['id', 'version', ...ORDER_ROW] as const;

/**
 * The profile of an order row `v`: by the group's external_id, else its email (written just
 * before, in the same batch). In a subquery with LIMIT, so that it is searched once a row (not
 * again for the "IS NOT NULL" that skips a row whose profile is gone).
 */
const withProfile = (o: Record<string, string>) =>
  `SELECT value, CASE WHEN ${o.ext} IS NOT NULL THEN (SELECT id FROM profiles WHERE site_id = ?1 AND external_id = ${o.ext})
                      ELSE (SELECT id FROM profiles WHERE site_id = ?1 AND email = ${o.email}) END AS pid
   FROM json_each(?2) LIMIT -1`;

const oi = positions(ORDER_ROW, 'q.value');
// No RETURNING: the orders this write inserted are those with created_in = ?3 (FAILED_INSERTS).
export const INSERT_ORDERS = `
  INSERT INTO orders (site_id, idorder, profile_id, ${ORDER_COLUMNS.join(', ')}, source, received_at, updated_at, created_in)
  SELECT ?1, ${oi.idorder}, pid, ${ORDER_COLUMNS.map((c) => oi[c]).join(', ')}, 'import', ${oi.at}, ${oi.at}, ?3
  FROM (${withProfile(positions(ORDER_ROW))}) q WHERE pid IS NOT NULL
  ON CONFLICT DO NOTHING`;

const ou = positions(ORDER_UPDATE_ROW, 'q.value');
export const UPDATE_ORDERS = `
  UPDATE orders SET profile_id = pid, ${ORDER_COLUMNS.map((c) => `${c} = ${ou[c]}`).join(', ')}, source = 'import', version = version + 1, updated_at = ${ou.at}
  FROM (${withProfile(positions(ORDER_UPDATE_ROW))}) q
  WHERE orders.id = ${ou.id} AND +orders.site_id = ?1 AND orders.version = ${ou.version} AND pid IS NOT NULL
  RETURNING orders.idorder`;

/** Of the order ids ?2 this write meant to insert, those it did not (another writer had, meanwhile). */
export const FAILED_INSERTS = `
  SELECT json_group_array(r.value) AS j FROM json_each(?2) r
  WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.site_id = ?1 AND o.idorder = r.value AND o.created_in = ?3)`;

// The lines of an order: [idorder, version, [[product_id, sku, name, category, quantity, unit_price], …]],
// version null for an order this write inserts. Written only for orders this write inserted
// (created_in = ?3) or updated (the version it gave them); replaced only on those it updated (an
// order it inserted has none).
const LINE_COLUMNS = ['product_id', 'sku', 'name', 'category', 'quantity', 'unit_price'] as const;
const WRITTEN_HERE = `CASE WHEN j.value ->> 1 IS NULL THEN o.created_in = ?3 ELSE o.source = 'import' AND o.version = j.value ->> 1 END`;
export const DELETE_LINES = `DELETE FROM order_lines WHERE order_id IN (SELECT o.id FROM json_each(?2) j CROSS JOIN orders o ON o.site_id = ?1 AND o.idorder = j.value ->> 0 WHERE o.source = 'import' AND o.version = j.value ->> 1)`;
export const INSERT_LINES = `
  INSERT INTO order_lines (order_id, line, ${LINE_COLUMNS.join(', ')})
  SELECT o.id, l.key, ${LINE_COLUMNS.map((_, i) => `l.value ->> ${i}`).join(', ')}
  FROM json_each(?2) j CROSS JOIN orders o ON o.site_id = ?1 AND o.idorder = j.value ->> 0 CROSS JOIN json_each(j.value, '$[2]') l
  WHERE ${WRITTEN_HERE}`;

// The reads answer one JSON value each, a list of rows as lists (json_group_array of json_array):
// wide rows as D1 result rows cost more to hand over than the SQL that finds them. Only the
// columns the import uses; readRows names them back.
const READ_PROFILE_COLUMNS = ['id', 'version', 'api_written', ...SET_COLUMNS.filter((c) => c !== 'server_written')];
export const READ_PROFILES = `
  SELECT json_group_array(json_array(${READ_PROFILE_COLUMNS.join(', ')})) AS j
  FROM profiles WHERE id IN (
    SELECT p.id FROM json_each(?2) e CROSS JOIN profiles p ON p.site_id = ?1 AND p.email = e.value
    UNION ALL
    SELECT p.id FROM json_each(?3) x CROSS JOIN profiles p ON p.site_id = ?1 AND p.external_id = x.value)`;
const READ_ORDER_COLUMNS = ['id', 'idorder', 'version', 'source', ...ORDER_COLUMNS, 'p_ext', 'p_email', 'lines'];
export const READ_ORDERS = `
  SELECT json_group_array(json_array(o.id, o.idorder, o.version, o.source, ${ORDER_COLUMNS.map((c) => `o.${c}`).join(', ')}, p.external_id, p.email, json(${linesJsonSql('o.id')}))) AS j
  FROM json_each(?2) r CROSS JOIN orders o ON o.site_id = ?1 AND o.idorder = r.value JOIN profiles p ON p.id = o.profile_id`;

/** The rows of a read above, as objects by column. */
function readRows(result: D1Result<{ j: string }>, columns: readonly string[]): Row[] {
  return (JSON.parse(result.results[0].j) as unknown[][]).map((values) => {
    const row: Row = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]] = values[i];
    return row;
  });
}

/**
 * The import's row (made by its first batch) and this batch's, counted into the import only by the
 * request that recorded the batch: one sent again after a crash is written again, not counted.
 * The last three statements: the batch (RETURNING it when new), the import's counts.
 */
function countBatch(db: D1Database, siteId: number, input: ImportBatch, kind: ImportKind, taken: number, rejected: number, now: number, nonce: number) {
  return [
    db
      .prepare(
        `INSERT INTO imports (site_id, uid, kind, file, started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (site_id, uid) DO UPDATE SET updated_at = excluded.updated_at`,
      )
      .bind(siteId, input.import, kind, input.file, now),
    db
      .prepare(
        `INSERT INTO import_batches (import_id, batch, taken, rejected, at, created_in)
         SELECT id, ?3, ?4, ?5, ?6, ?7 FROM imports WHERE site_id = ?1 AND uid = ?2
         ON CONFLICT (import_id, batch) DO NOTHING RETURNING batch`,
      )
      .bind(siteId, input.import, input.batch, taken, rejected, now, nonce),
    db
      .prepare(
        `UPDATE imports SET taken = imports.taken + b.taken, rejected = imports.rejected + b.rejected, batches = imports.batches + 1
         FROM import_batches b WHERE imports.site_id = ?1 AND imports.uid = ?2 AND b.import_id = imports.id AND b.batch = ?3 AND b.created_in = ?4`,
      )
      .bind(siteId, input.import, input.batch, nonce),
  ];
}

/** Corrects a batch's counts when rows given up after the retries were counted as taken. */
async function recount(db: D1Database, siteId: number, input: ImportBatch, taken: number, rejected: number, nonce: number) {
  await db
    .prepare(
      `UPDATE imports SET taken = imports.taken - b.taken + ?5, rejected = imports.rejected - b.rejected + ?6
       FROM import_batches b WHERE imports.site_id = ?1 AND imports.uid = ?2 AND b.import_id = imports.id AND b.batch = ?3 AND b.created_in = ?4`,
    )
    .bind(siteId, input.import, input.batch, nonce, taken, rejected)
    .run();
  await db
    .prepare(`UPDATE import_batches SET taken = ?5, rejected = ?6 WHERE batch = ?3 AND created_in = ?4 AND import_id = (SELECT id FROM imports WHERE site_id = ?1 AND uid = ?2)`)
    .bind(siteId, input.import, input.batch, nonce, taken, rejected)
    .run();
}

/** The last request of an import (done: true): the import is done (made here if it had no batch). */
export async function finishImport(db: D1Database, siteId: number, input: ImportBatch, kind: ImportKind, now = Date.now()) {
  await db
    .prepare(
      `INSERT INTO imports (site_id, uid, kind, file, status, started_at, updated_at, finished_at) VALUES (?1, ?2, ?3, ?4, 'done', ?5, ?5, ?5)
       ON CONFLICT (site_id, uid) DO UPDATE SET status = 'done', updated_at = excluded.updated_at, finished_at = excluded.finished_at`,
    )
    .bind(siteId, input.import, kind, input.file, now)
    .run();
}

/**
 * One batch of an import: every row checked, the good ones written, the batch counted once per
 * import (import_batches), all in one transaction with the batch's claim of its triggers.
 */
export async function importBatch(db: D1Database, site: IngestSite, kind: ImportKind, input: ImportBatch, now = Date.now()): Promise<ImportResult> {
  const rejected: ImportResult['rejected'] = [];
  const rejectedRows = new Set<number>();
  const reject = (row: number, field: string, reason: string) => (rejectedRows.add(row), rejected.push({ row, field, reason }));

  // 1. Each row, as the API checks its body.
  const goods: Good[] = [];
  input.rows.forEach((raw, i) => {
    const row = input.first_row + i;
    // No bigger than one call of the live API may be (and so within what D1 binds).
    if (JSON.stringify(raw).length > LIMITS.bodyBytes) return void reject(row, 'data', `is larger than ${LIMITS.bodyBytes / 1024} KB, the most one /api/updateOrder call takes`);
    const { values, errors } = checkUpdate(raw, kind === 'orders' ? 'order' : 'customer');
    errors.push(...undeclaredCustomFields(values.profile, site.settings));
    if (kind === 'orders') {
      const store = storeError(site.settings, values.order?.store, 'data[store]', true);
      if (store) errors.push(store);
    }
    if (errors.length) return void errors.forEach((e) => reject(row, e.field, e.reason));
    const p = values.profile;
    goods.push({
      row,
      profile: p,
      order: values.order as Good['order'],
      account: kind === 'customers' ? isAccountWrite(p, p.external_id !== undefined) : isAccountWrite(p, false),
    });
  });

  // 2. By person; an order's lines tag its customer.
  const groups = groupRows(goods, (g, field, reason) => reject(g.row, field, reason));
  const groupOf = new Map<Good, Group>();
  for (const g of groups) for (const r of g.rows) groupOf.set(r, g);
  if (site.settings.auto_tags.categories) for (const [r, g] of groupOf) for (const t of categoryTags(r.order?.items)) g.categoryTags.add(t);

  // 3. Orders: the last row of each id wins.
  const orders = new Map<string, Good>();
  for (const r of goods) if (r.order && groupOf.has(r)) orders.set(r.order.order_idorder, r);

  const nonce = requestNonce();
  let pendingGroups = groups;
  let pendingOrders = [...orders.values()];
  const taken = new Set<number>();
  let kept = 0;
  let triggers: Enqueued[] = [];
  let counted = false;
  /** The counts the batch was recorded with (import_batches), once its bookkeeping committed. */
  let booked: { taken: number; rejected: number } | null = null;
  const estimate = () => ({ taken: goods.filter((g) => !rejectedRows.has(g.row)).length, rejected: rejectedRows.size });
  for (let attempt = 1; ; attempt++) {
    const w = await writeOnce(db, site, input, kind, pendingGroups, pendingOrders, groupOf, now, nonce, reject, booked ? null : estimate);
    for (const r of w.taken) taken.add(r);
    kept += w.kept;
    triggers = triggers.concat(w.triggers);
    if (w.booked) (booked = w.booked), (counted = w.counted);
    if (!w.retryGroups.length && !w.retryOrders.length) break;
    // Again: the groups to write again with their orders, and the orders to write again with their groups.
    const again = new Set([...w.retryGroups, ...w.retryOrders.map((r) => groupOf.get(r)!)]);
    const againOrders = new Set([...w.retryOrders, ...pendingOrders.filter((r) => again.has(groupOf.get(r)!))]);
    if (attempt === ATTEMPTS) {
      for (const g of again) for (const r of g.rows) reject(r.row, 'data', 'was changed by another write during the import, three times: import this row again');
      break;
    }
    pendingGroups = [...again];
    pendingOrders = [...againOrders];
  }
  // An order id sent twice: its earlier rows share the outcome of the row that won.
  for (const r of goods) {
    const winner = r.order && orders.get(r.order.order_idorder);
    if (!winner || winner === r || rejectedRows.has(r.row)) continue;
    if (taken.has(winner.row) && !rejectedRows.has(winner.row)) taken.add(r.row);
    else reject(r.row, 'data[order_idorder]', `is sent again at row ${winner.row}, which was not written: see that row`);
  }
  for (const r of rejectedRows) taken.delete(r);
  rejected.sort((a, b) => a.row - b.row);
  if (counted && booked && (booked.taken !== taken.size || booked.rejected !== rejectedRows.size)) await recount(db, site.id, input, taken.size, rejectedRows.size, nonce);
  return { taken: taken.size, kept, rejected, counted, triggers };
}

/** JSON lists cut so that none is over ~1 MB: D1 takes at most 2 MB in one bound value. */
function chunks(rows: unknown[], maxChars = 1_000_000): string[] {
  const whole = JSON.stringify(rows);
  if (whole.length <= maxChars) return [whole];
  const out: string[] = [];
  let part: string[] = [];
  let size = 2;
  for (const r of rows) {
    const j = JSON.stringify(r);
    if (part.length && size + j.length + 1 > maxChars) (out.push(`[${part.join(',')}]`), (part = []), (size = 2));
    part.push(j);
    size += j.length + 1;
  }
  out.push(`[${part.join(',')}]`);
  return out;
}

/** One read and one write of the rows still to write; answers which must be read and written again. */
async function writeOnce(
  db: D1Database,
  site: IngestSite,
  input: ImportBatch,
  kind: ImportKind,
  groups: Group[],
  orderRows: Good[],
  groupOf: Map<Good, Group>,
  now: number,
  nonce: number,
  reject: (row: number, field: string, reason: string) => void,
  /** The batch's counts, while it is not recorded yet (then this write records it). */
  counts: (() => { taken: number; rejected: number }) | null,
) {
  const emails = groups.flatMap((g) => (g.email === undefined ? [] : [g.email]));
  const exts = groups.flatMap((g) => (g.ext === undefined ? [] : [g.ext]));
  const [profilesRead, ordersRead] = await db.batch<{ j: string }>([
    db.prepare(READ_PROFILES).bind(site.id, JSON.stringify(emails), JSON.stringify(exts)),
    db.prepare(READ_ORDERS).bind(site.id, JSON.stringify(orderRows.map((r) => r.order!.order_idorder))),
  ]);
  const stored = readRows(profilesRead, READ_PROFILE_COLUMNS);
  const byEmail = new Map(stored.filter((p) => p.email !== null).map((p) => [p.email as string, p]));
  const byExt = new Map(stored.filter((p) => p.external_id !== null).map((p) => [p.external_id as string, p]));

  // Profiles: new ones, changed ones; a group that would link two stored profiles is refused.
  const inserts: Row[] = [];
  const updates: Row[] = [];
  const writtenGroups = new Map<Group, 'insert' | 'update' | 'same'>();
  // Two groups of the batch can be one stored profile (one by email, one by external_id): the
  // second waits for the next write, after the first's.
  const usedIds = new Set<unknown>();
  const deferred: Group[] = [];
  for (const g of groups) {
    const a = g.ext !== undefined ? byExt.get(g.ext) : undefined;
    const b = g.email !== undefined ? byEmail.get(g.email) : undefined;
    const refuse = (field: string, reason: string) => g.rows.forEach((r) => reject(r.row, field, reason));
    if (a && b && a.id !== b.id) {
      refuse('data[customer_email]', 'belongs to another profile, one with a different external_id; nothing was written for this row');
      continue;
    }
    const old = a ?? b;
    if (old && g.ext !== undefined && old.external_id !== null && old.external_id !== g.ext && old.external_id_source !== 'tracker') {
      refuse('data[external_id]', 'differs from the external_id of the profile with this email; nothing was written for this row');
      continue;
    }
    if (old && usedIds.has(old.id)) {
      deferred.push(g);
      continue;
    }
    if (old) usedIds.add(old.id);
    const row = profileRow(g, old, site, now, nonce);
    if (!row) writtenGroups.set(g, 'same');
    else if (old) (updates.push({ ...row, id: old.id, version: old.version }), writtenGroups.set(g, 'update'));
    else (inserts.push(row), writtenGroups.set(g, 'insert'));
  }

  // Orders: of a group written; new ones, changed ones, and those the live API wrote, kept.
  const storedOrders = new Map(readRows(ordersRead, READ_ORDER_COLUMNS).map((o) => [o.idorder as string, o]));
  const orderInserts: unknown[][] = [];
  const orderUpdates: unknown[][] = [];
  const insertedIds: string[] = [];
  const updatedIds: string[] = [];
  const withLines: unknown[][] = [];
  const keptRows = new Set<number>();
  for (const r of orderRows) {
    const g = groupOf.get(r)!;
    if (!writtenGroups.has(g)) continue;
    const o = r.order!;
    const old = storedOrders.get(o.order_idorder);
    if (old && old.source === 'api') {
      keptRows.add(r.row);
      continue;
    }
    // ORDER_ROW's values.
    const next = [
      o.order_idorder,
      g.ext ?? null,
      g.ext === undefined ? (g.email ?? null) : null,
      o.order_state,
      o.order_amount,
      o.order_crea_dt,
      o.order_start_service ?? old?.start_service ?? null,
      o.order_end_service ?? old?.end_service ?? null,
      JSON.stringify(mergeTags(old ? (JSON.parse(old.tags as string) as string[]) : [], o.del_order_tag ?? [], o.add_order_tag ?? [])),
      o.product_attributes !== undefined ? JSON.stringify(o.product_attributes) : ((old?.product_attributes as string) ?? '[]'),
      o.order_pickup_location ?? old?.pickup_location ?? null,
      o.store ?? old?.store ?? null,
      orderTime(o.order_crea_dt!),
    ];
    const lines = o.items?.map(lineOf);
    if (!old) {
      orderInserts.push(next);
      insertedIds.push(o.order_idorder);
      if (lines?.length) withLines.push([o.order_idorder, null, lines]);
      continue;
    }
    const sameProfile = (g.ext !== undefined ? old.p_ext === g.ext : old.p_email === g.email) && writtenGroups.get(g) !== 'insert';
    const sameLines = !lines || JSON.stringify(lines.map(storedForm)) === JSON.stringify(old.lines); // parsed: REAL 10.0 reads as 10
    const same = sameProfile && sameLines && old.source === 'import' && ORDER_COLUMNS.every((c, i) => next[3 + i] === old[c]);
    if (same) continue;
    orderUpdates.push([old.id, old.version, ...next]);
    updatedIds.push(o.order_idorder);
    // The lines of an order this write updates: found by the version it will have.
    if (lines) withLines.push([o.order_idorder, (old.version as number) + 1, lines]);
  }

  // Each list in parts of at most ~1 MB (a statement each, still a few per batch); none for an empty list.
  const stmts: D1PreparedStatement[] = [];
  const at: Record<string, number[]> = {};
  const add = (name: string, sqlText: string, rows: unknown[], bind: (list: string) => unknown[]) => {
    if (rows.length) for (const list of chunks(rows)) (at[name] ??= []).push(stmts.push(db.prepare(sqlText).bind(...bind(list))) - 1);
  };
  const values = (rows: Row[], columns: readonly string[]) => rows.map((r) => columns.map((c) => r[c] ?? null));
  add('insP', INSERT_PROFILES, values(inserts, PROFILE_INSERT_COLUMNS), (l) => [site.id, l]);
  add('updP', UPDATE_PROFILES, values(updates, PROFILE_UPDATE_COLUMNS), (l) => [site.id, now, l]);
  if (kind === 'orders') {
    add('insO', INSERT_ORDERS, orderInserts, (l) => [site.id, l, nonce]);
    add('updO', UPDATE_ORDERS, orderUpdates, (l) => [site.id, l]);
    add('delL', DELETE_LINES, withLines.filter((l) => l[1] !== null).map(([id, version]) => [id, version]), (l) => [site.id, l]);
    add('insL', INSERT_LINES, withLines, (l) => [site.id, l, nonce]);
    add('failedO', FAILED_INSERTS, insertedIds, (l) => [site.id, l, nonce]);
  }
  // The import and this batch, counted once: a batch sent again (after a crash) is written again
  // (its rows are upserts) but not counted again.
  const bookedWith = counts?.() ?? null;
  if (bookedWith) at.book = countBatch(db, site.id, input, kind, bookedWith.taken, bookedWith.rejected, now, nonce).map((st) => stmts.push(st) - 1);
  const claim = claimStatement(site.id, now);
  stmts.push(db.prepare(claim.sql).bind(...claim.params));
  let results: D1Result[];
  try {
    results = await db.batch(stmts);
  } catch (e) {
    // A writer outside the import took an email or an external_id in between: read and write again.
    if (!String(e instanceof Error ? e.message : e).includes('UNIQUE constraint failed')) throw e;
    return { taken: new Set<number>(), kept: 0, retryGroups: groups, retryOrders: orderRows, triggers: [], counted: false, booked: null };
  }
  const rowsOf = <T,>(name: string) => (at[name] ?? []).flatMap((i) => results[i].results as T[]);
  const insertedProfiles = rowsOf<{ email: string | null; external_id: string | null }>('insP');
  const updatedProfiles = new Set(rowsOf<{ id: number }>('updP').map((r) => r.id));
  const retryGroups: Group[] = [...deferred];
  const insertedKeys = new Set(insertedProfiles.map((p) => `${p.external_id ?? ''}\u0000${p.email ?? ''}`));
  const insertedOf = (r: Row) => insertedKeys.has(`${r.external_id ?? ''}\u0000${r.email ?? ''}`);
  let ui = 0;
  let ii = 0;
  for (const g of groups) {
    const how = writtenGroups.get(g);
    if (how === 'insert' && !insertedOf(inserts[ii++])) retryGroups.push(g);
    else if (how === 'update' && !updatedProfiles.has(updates[ui++].id as number)) retryGroups.push(g);
  }
  const retrySet = new Set(retryGroups);
  const taken = new Set<number>(keptRows);
  const retryOrders: Good[] = [];
  if (kind === 'orders') {
    const failedInserts = new Set((at.failedO ?? []).flatMap((i) => JSON.parse((results[i].results[0] as { j: string }).j) as string[]));
    const updatedOrders = new Set(rowsOf<{ idorder: string }>('updO').map((r) => r.idorder));
    const writes = new Map<string, 'insert' | 'update'>([...insertedIds.map((id) => [id, 'insert'] as const), ...updatedIds.map((id) => [id, 'update'] as const)]);
    for (const r of orderRows) {
      const g = groupOf.get(r)!;
      if (!writtenGroups.has(g) || retrySet.has(g) || keptRows.has(r.row)) continue;
      const id = r.order!.order_idorder;
      const how = writes.get(id);
      const ok = how === undefined || (how === 'insert' ? !failedInserts.has(id) : updatedOrders.has(id));
      if (ok) taken.add(r.row);
      else retryOrders.push(r);
    }
  } else for (const g of groups) if (writtenGroups.has(g) && !retrySet.has(g)) for (const r of g.rows) taken.add(r.row);
  // The batch's row, RETURNING it when this request recorded it (not when sent again).
  const counted = !!bookedWith && (results[at.book[1]].results as unknown[]).length > 0;
  return { taken, kept: keptRows.size, retryGroups, retryOrders, triggers: toEnqueue(results[results.length - 1]), counted, booked: bookedWith };
}

export const RECENT_IMPORTS_LIMIT = 50;
/** A running import that sent nothing for this long is shown as stalled (resume it with --resume). */
export const STALLED_AFTER_MS = 10 * 60_000;

/** The site's last 50 imports, the latest first, with their progress as the Worker took it. */
export async function recentImports(db: D1Database, siteId: number, now = Date.now()) {
  const { results } = await db
    .prepare(`SELECT uid, kind, file, taken, rejected, batches, status, started_at, updated_at, finished_at FROM imports WHERE site_id = ? ORDER BY updated_at DESC LIMIT ${RECENT_IMPORTS_LIMIT}`)
    .bind(siteId)
    .all<{ uid: string; kind: ImportKind; file: string; taken: number; rejected: number; batches: number; status: 'running' | 'done'; started_at: number; updated_at: number; finished_at: number | null }>();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return results.map((r) => ({
    import: r.uid,
    kind: r.kind,
    file: r.file,
    taken: r.taken,
    rejected: r.rejected,
    batches: r.batches,
    status: r.status === 'running' && now - r.updated_at > STALLED_AFTER_MS ? ('stalled' as const) : r.status,
    started_at: iso(r.started_at)!,
    updated_at: iso(r.updated_at)!,
    finished_at: iso(r.finished_at),
  }));
}
