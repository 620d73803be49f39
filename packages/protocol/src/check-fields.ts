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

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function unknownReason(name: string, known: string[], elsewhere?: { names: string[]; hint: string }): string {
  if (elsewhere?.names.includes(name)) return elsewhere.hint;
  const near = known.find((k) => distance(name, k) <= 2);
  return near ? `unknown field; did you mean ${near}?` : 'unknown field';
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
  for (const name of Object.keys(input)) {
    const field = `${where}[${name.slice(0, 64)}]`;
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      errors.push({ field, reason: unknownReason(name, known, elsewhere) });
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
