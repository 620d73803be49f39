// Protocol's event tables in the form the browser checker reads. In the builds (rollup.config.mjs)
// this module is evaluated at build time and replaced by its values, so the script carries field
// names and one short code per field, not protocol's kind objects or this code.
import { type ConsentCategory, EVENTS as TABLES, type EventType, GET_MODE_EVENTS, ITEM_FIELDS, type Kind, ORDER_STATES } from '@shopbeacon/protocol';

/**
 * What check.ts tests a value against: a number is text of at most that many characters, a list
 * holds the values allowed (enum, optin, order state), a name is a kind of check.ts.
 */
export type Code = number | string[] | string;

export const code = (k: Kind): Code =>
  k.t == 'text'
    ? k.max
    : k.t == 'enum'
      ? [...k.of]
      : k.t == 'state'
        ? Object.keys(ORDER_STATES)
        : k.t == 'optin'
          ? ['1', '0', '-1']
          : k.t == 'number' // the server reads numbers and amounts alike (protocol's kinds.ts: decimal)
            ? 'amount'
            : k.t;

/** A table's field names, space-separated (what the script tag checks), and each one's code, in that order. */
const fields = (table: Record<string, Kind>): [string, Code[]] => [Object.keys(table).join(' '), Object.values(table).map(code)];

/** One line of a cart or an order. */
export const [ITEMS, ITEM_CODES] = fields(ITEM_FIELDS);

type PerEvent<T> = { [E in EventType]: T };
const perEvent = <T>(f: (e: (typeof TABLES)[EventType], type: EventType) => T) =>
  Object.fromEntries(Object.entries(TABLES).map(([type, e]) => [type, f(e, type as EventType)])) as PerEvent<T>;

/**
 * Per event type: the consent category it needs, its field names, and its required groups (one
 * field of each), as text: groups space-separated, a group's fields "|"-separated (fewer bytes
 * than lists of lists, and the very text the warning names); then 1 for the events that write a
 * profile on the Worker (GET_MODE_EVENTS: account, order, optin), which the others leave out.
 */
export const EVENTS = perEvent(
  (e, type) =>
    [e.consent, fields(e.fields)[0], e.required.map((g) => g.join('|')).join(' '), ...(GET_MODE_EVENTS.includes(type) ? [1] : [])] as [
      ConsentCategory,
      string,
      string,
      1?,
    ],
);

/** Per event type, the codes of its fields (value checks only: the script tag leaves them out). */
export const CODES = perEvent((e) => fields(e.fields)[1]);
