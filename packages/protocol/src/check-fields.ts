// One object of fields checked against its table (fields.ts, events.ts), for every way a shop
// sends data: the PHP client's form body, a JSON body and the browser tracker's events. Every
// error comes back at once, each naming its field, so one failed call shows all that is wrong.

import { ITEM_FIELDS, type Kind, LIMITS } from './fields';
import { bad, type Check, checkValue, isPlainObject, list, ok } from './kinds';

export interface FieldError {
  field: string;
  reason: string;
}

/**
 * One field's value, by its kind. Items live here rather than in kinds.ts because each line is
 * an object of fields that checkFields checks: kinds.ts and this file would import each other.
 */
export function checkKind(kind: Kind, v: unknown): Check {
  return kind.t === 'items' ? items(v) : checkValue(kind, v);
}

function items(v: unknown): Check {
  const lines = list(v);
  if (!lines || typeof v === 'string') return bad('must be a list of items (product_id or sku, name, category, quantity, unit_price)');
  if (lines.length > LIMITS.itemsPerCart) return bad(`at most ${LIMITS.itemsPerCart} items (got ${lines.length})`);
  const out: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    const { values, errors } = checkFields<Record<string, unknown>>(line, ITEM_FIELDS, '');
    if (errors.length) return bad(errors[0].reason, `[${i}]${errors[0].field}`);
    if (values.product_id === undefined && values.sku === undefined) return bad('needs a product_id or a sku', `[${i}]`);
    out.push(values);
  }
  return ok(out);
}

// "Did you mean" names a known field at most NEAR edits away. The names come from the request,
// which may send one name as long as the body or thousands of short ones, so the search is
// bounded three ways: names over HINTED_LENGTH characters (as many as an error shows of a name)
// get no hint, an object's first HINTED_NAMES unknown names alone get one (a typo is one or two
// names, not hundreds), and each comparison keeps to the cells within NEAR of the diagonal and
// stops once all are over NEAR: a name's length times 2·NEAR + 1 cells per known field at most.
const NEAR = 2;
const HINTED_LENGTH = 64;
const HINTED_NAMES = 10;

// The one row of the edit-distance table near() keeps, shared so that a comparison allocates
// nothing; near() compares no name longer than HINTED_LENGTH + NEAR.
const row = new Uint8Array(HINTED_LENGTH + NEAR + 1);

function near(name: string, known: string): boolean {
  if (name.length > HINTED_LENGTH || Math.abs(name.length - known.length) > NEAR) return false;
  const over = NEAR + 1;
  // row[j]: the edits from name's first i characters to known's first j, capped at `over`;
  // cells outside the band are at least `over` away, and hold it.
  for (let j = 0; j <= known.length; j++) row[j] = j < over ? j : over;
  for (let i = 1; i <= name.length; i++) {
    const lo = i > NEAR ? i - NEAR : 1;
    const hi = i + NEAR < known.length ? i + NEAR : known.length;
    const c = name.charCodeAt(i - 1);
    let diagonal = row[lo - 1];
    let left = (row[lo - 1] = lo === 1 && i < over ? i : over);
    let least = left;
    for (let j = lo; j <= hi; j++) {
      const above = row[j];
      let cell = diagonal + (c === known.charCodeAt(j - 1) ? 0 : 1);
      if (above + 1 < cell) cell = above + 1;
      if (left + 1 < cell) cell = left + 1;
      if (cell > over) cell = over;
      row[j] = left = cell;
      diagonal = above;
      if (cell < least) least = cell;
    }
    if (least > NEAR) return false;
  }
  return row[known.length] <= NEAR;
}

function unknownReason(name: string, known: string[], hinted: boolean, elsewhere?: { names: string[]; hint: string }): string {
  if (elsewhere?.names.includes(name)) return elsewhere.hint;
  const hint = hinted ? known.find((k) => near(name, k)) : undefined;
  return hint ? `unknown field; did you mean ${hint}?` : 'unknown field';
}

export interface Checked<T> {
  values: T;
  errors: FieldError[];
}

/**
 * Checks an object of fields against specs. Absent, null and empty-string values are "not sent"
 * (PHP forms often post empty inputs), except for kinds where empty means "clear".
 */
export function checkFields<T>(
  input: unknown,
  specs: Record<string, Kind>,
  where: string,
  elsewhere?: { names: string[]; hint: string },
): Checked<T> {
  const errors: FieldError[] = [];
  const values: Record<string, unknown> = {};
  if (!isPlainObject(input)) {
    return { values: values as T, errors: [{ field: where, reason: 'must be an object of fields' }] };
  }
  const known = Object.keys(specs);
  let unknown = 0;
  for (const name of Object.keys(input)) {
    const field = `${where}[${name.slice(0, 64)}]`;
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      errors.push({ field, reason: unknownReason(name, known, ++unknown <= HINTED_NAMES, elsewhere) });
      continue;
    }
    const v = input[name];
    const clears = spec.t === 'attributes';
    if (v === null || v === undefined || (v === '' && !clears)) continue;
    const r = checkKind(spec, v);
    if (r.ok) values[name] = r.value;
    else errors.push({ field: field + (r.field ?? ''), reason: r.reason });
  }
  return { values: values as T, errors };
}

/**
 * The required groups of a table (EVENTS[type].required) that nothing was sent for: for each,
 * an error on its first field. `sent(name)` says whether a field came with a value.
 */
export function missingFields(required: readonly (readonly string[])[], sent: (name: string) => boolean, where: string): FieldError[] {
  return required
    .filter((group) => !group.some(sent))
    .map((group) => ({ field: `${where}[${group[0]}]`, reason: `${group.length > 1 ? group.join(' or ') + ' is' : 'is'} required` }));
}
