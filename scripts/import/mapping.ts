// From one input row to the object the Worker's import API takes for it: `{ data: {...} }`
// (and `request` when the file has it). The CLI only maps: every value goes as the string it is
// and the Worker validates and normalizes it, so the rules of a field live in one place. What
// the CLI itself refuses is what it cannot map: a cell that should be JSON and is not, a CSV row
// whose cells do not line up with the header, an NDJSON line that is not a JSON object.
import { CART_FIELDS, type FieldError, type Kind, ORDER_EVENT_FIELDS, ORDER_FIELDS, PROFILE_FIELDS } from '@shopbeacon/protocol';

/** One row as sent: `{ data: {...}, request?: {...} }`. */
export type Body = Record<string, unknown>;

/** What one row of the file became. */
export type Mapped = { t: 'row'; body: Body } | { t: 'blank' } | { t: 'reject'; errors: FieldError[] };

/** The kind of every field name the API knows, from the wire contract (packages/protocol). */
const KINDS = new Map<string, Kind['t']>(
  Object.entries({ ...CART_FIELDS, ...ORDER_EVENT_FIELDS, ...PROFILE_FIELDS, ...ORDER_FIELDS }).map(([name, kind]) => [name, (kind as Kind).t]),
);

/** How one CSV column goes into the row. */
export type Column =
  | { t: 'skip' } // a name starting with `_`: ours (_row, _errors of a rejects file) or the shop's notes
  | { t: 'text'; name: string }
  | { t: 'list'; name: string } // tags: "vip|wholesale"
  | { t: 'attributes'; name: string } // "color:red;size:XL|color:blue", or JSON
  | { t: 'json'; name: string } // items (and a bare custom_fields column): JSON in the cell
  | { t: 'custom'; id: string } // custom_fields[327]
  | { t: 'request'; name: string }; // request[order_idorder]

/** A header that cannot be mapped: the whole file is refused before anything is sent. */
export class HeaderError extends Error {}

/** Reads the header row once; every row is then mapped by position. */
export function compileHeader(header: readonly string[]): Column[] {
  const seen = new Set<string>();
  return header.map((raw, i) => {
    const name = raw.trim();
    const where = `column ${i + 1}`;
    if (name === '') throw new HeaderError(`${where} has no name in the header row (name it, or start its name with _ to have it ignored)`);
    if (seen.has(name)) throw new HeaderError(`${where}: "${name}" is in the header row twice`);
    seen.add(name);
    if (name.startsWith('_')) return { t: 'skip' };
    const bracket = /^(custom_fields|request)\[([^\][]+)\]$/.exec(name);
    if (bracket?.[2] === '__proto__') throw new HeaderError(`${where}: "${name}": __proto__ cannot be a key (the Worker refuses it too)`);
    if (bracket) return bracket[1] === 'custom_fields' ? { t: 'custom', id: bracket[2] } : { t: 'request', name: bracket[2] };
    if (name.includes('[') || name.includes(']'))
      throw new HeaderError(`${where}: "${name}": brackets are only for custom_fields[ID] and request[NAME]; other columns are named as the field (customer_email, add_tag, …)`);
    const kind = KINDS.get(name);
    if (kind === 'tags') return { t: 'list', name };
    if (kind === 'attributes') return { t: 'attributes', name };
    if (kind === 'items' || kind === 'custom_fields') return { t: 'json', name };
    return { t: 'text', name }; // known or not: the Worker names an unknown field and suggests the right one
  });
}

/** `|`-separated list; blanks around the separators and empty entries are not tags. */
export const splitList = (cell: string): string[] =>
  cell
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * Product attributes: products separated by `|`, a product's "key:value" by `;`. A product stays
 * where it is even when it has none (its position pairs it with the order's n-th product).
 */
export const splitAttributes = (cell: string): string[][] =>
  cell.split('|').map((product) =>
    product
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );

function parseJson(cell: string, field: string, errors: FieldError[]): unknown {
  try {
    return JSON.parse(cell);
  } catch (e) {
    errors.push({ field, reason: `not valid JSON (${(e as Error).message})` });
    return undefined;
  }
}

/** Maps one CSV record by the compiled header. Cells are as the CSV parser gave them. */
export function mapCsvRow(columns: readonly Column[], cells: readonly string[]): Mapped {
  if (cells.every((c) => c === '')) return { t: 'blank' };
  if (cells.length !== columns.length)
    return { t: 'reject', errors: [{ field: 'row', reason: `has ${cells.length} cells; the header has ${columns.length}` }] };
  const data: Record<string, unknown> = {}; // no key is __proto__: compileHeader sees to it
  let custom: Record<string, string> | undefined;
  let request: Record<string, string> | undefined;
  const errors: FieldError[] = [];
  for (let i = 0; i < columns.length; i++) {
    const cell = cells[i];
    const col = columns[i];
    if (cell === '' || col.t === 'skip') continue; // an empty cell is a field not sent
    switch (col.t) {
      case 'text':
        data[col.name] = cell;
        break;
      case 'list':
        data[col.name] = splitList(cell);
        break;
      case 'attributes':
        data[col.name] = cell.trimStart().startsWith('[') ? parseJson(cell, `data[${col.name}]`, errors) : splitAttributes(cell);
        break;
      case 'json':
        data[col.name] = parseJson(cell, `data[${col.name}]`, errors);
        break;
      case 'custom':
        (custom ??= {})[col.id] = cell;
        break;
      case 'request':
        (request ??= {})[col.name] = cell;
        break;
    }
  }
  if (errors.length) return { t: 'reject', errors };
  if (custom) data.custom_fields = custom;
  return { t: 'row', body: request ? { data, request } : { data } };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Maps one NDJSON line: the JSON body of updateOrder / updateCustomer. Top-level keys starting
 * with `_` (the _row and _errors of a rejects file) are dropped: the Worker refuses unknown keys.
 */
export function mapNdjsonLine(line: string): Mapped {
  if (line.trim() === '') return { t: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { t: 'reject', errors: [{ field: 'line', reason: `not valid JSON (${(e as Error).message})` }] };
  }
  if (!isObject(value)) return { t: 'reject', errors: [{ field: 'line', reason: 'not a JSON object ({"data": {…}})' }] };
  const body: Body = { ...value }; // a spread copies a "__proto__" key as a key, where `body[k] = v` would not
  for (const k of Object.keys(body)) if (k.startsWith('_')) delete body[k];
  return { t: 'row', body };
}
