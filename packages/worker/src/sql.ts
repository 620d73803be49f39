// Statements of a batch, as plain values (SQL and its bound parameters), and the SQL pieces the
// profile and order upserts share.

/** A statement of the batch (or a piece of one): SQL with anonymous ? parameters, in order. */
export interface Stmt {
  sql: string;
  params: unknown[];
}

const isStmt = (v: unknown): v is Stmt =>
  typeof v === 'object' && v !== null && typeof (v as Stmt).sql === 'string' && Array.isArray((v as Stmt).params);

/**
 * SQL with its parameters in text order: sql`a = ${v}` binds v to a ?, a Stmt is spliced in
 * with its own parameters. Anonymous ? parameters bind by position, so a piece used twice (a new
 * value, then the test that it differs from the stored one) carries its parameters twice.
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Stmt {
  let text = strings[0];
  const params: unknown[] = [];
  values.forEach((v, i) => {
    if (isStmt(v)) {
      text += v.sql;
      params.push(...v.params);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1];
  });
  return { sql: text, params };
}

/** SQL text with no parameters (column names, keywords). */
export const raw = (text: string): Stmt => ({ sql: text, params: [] });

export const join = (parts: Stmt[], separator = ', '): Stmt => ({
  sql: parts.map((p) => p.sql).join(separator),
  params: parts.flatMap((p) => p.params),
});

/** (a) OR (b) …, or FALSE for none. */
export const anyOf = (parts: Stmt[]): Stmt => (parts.length ? join(parts.map((p) => sql`(${p})`), ' OR ') : raw('0'));

/**
 * A condition that must hold for the statements to write (SQL with its parameters): the
 * tracker's guard that the event is new, so a retried event changes nothing.
 */
export type Guard = Stmt | undefined;

/** AND the guard, when there is one. */
export const andGuard = (guard: Guard): Stmt => (guard ? sql` AND ${guard}` : raw(''));

/** VALUES (…), or the same row selected only when the condition holds. */
export const guardedValues = (values: Stmt, when?: Stmt): Stmt => (when ? sql`SELECT ${values} WHERE ${when}` : sql`VALUES (${values})`);

/**
 * Tags kept in insertion order: the stored ones minus `del`, then the new ones of `add`. "Not
 * stored yet" is a NOT EXISTS scan, not a NOT IN list: the stored tags are the row's, so SQLite
 * would build that list again for every added tag (twice the time for 100 tags).
 */
export const mergeTagsSql = (column: string, del: string[], add: string[]): Stmt =>
  sql`(SELECT json_group_array(value) FROM (
     SELECT value FROM json_each(${raw(column)}) WHERE value NOT IN (SELECT value FROM json_each(${JSON.stringify(del)}))
     UNION ALL
     SELECT a.value FROM json_each(${JSON.stringify(add)}) a WHERE ${notStored(column)}))`;

const notStored = (column: string) => raw(`NOT EXISTS (SELECT 1 FROM json_each(${column}) s WHERE s.value = a.value)`);

/**
 * Whether merging `add` and `del` into the tags would change them: an added tag not there yet, or
 * a removed one that is. Cheaper than comparing the whole merged list (no list is built), which
 * matters as the test is made twice per upsert (version, updated_at).
 */
export const tagsChangeSql = (column: string, del: string[], add: string[]): Stmt =>
  sql`(EXISTS (SELECT 1 FROM json_each(${JSON.stringify(add)}) a WHERE ${notStored(column)})
    OR EXISTS (SELECT 1 FROM json_each(${raw(column)}) WHERE value IN (SELECT value FROM json_each(${JSON.stringify(del)}))))`;

/** 53 random bits: a safe integer that names one request (its guard, the rows it inserted). */
export function requestNonce(): number {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi >>> 11) * 2 ** 32 + lo;
}
