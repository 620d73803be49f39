// Protocol's event tables in the form the browser checker reads. In the builds (rollup.config.mjs)
// this module is evaluated at build time and replaced by its values, so the script carries field
// names and one short code per field, not protocol's kind objects or this code.
import { type ConsentCategory, EVENTS as TABLES, type EventType, ITEM_FIELDS, type Kind, ORDER_STATES } from '@shopbeacon/protocol';

/**
 * What check.ts tests a value against: a number is text of at most that many characters, a list
 * holds the values allowed (enum, optin, order state), a name is a kind of check.ts.
 */
export type Code = number | string[] | string;
export type Fields = Record<string, Code>;

export const code = (k: Kind): Code =>
  k.t == 'text'
    ? k.max
    : k.t == 'enum'
      ? [...k.of]
      : k.t == 'state'
        ? Object.keys(ORDER_STATES)
        : k.t == 'optin'
          ? ['1', '0', '-1']
          : k.t == 'number' // the server reads numbers and amounts alike (validate.ts: decimal)
            ? 'amount'
            : k.t;

const fields = (table: Record<string, Kind>): Fields => Object.fromEntries(Object.entries(table).map(([name, k]) => [name, code(k)]));

/** One line of a cart or an order. */
export const ITEMS = fields(ITEM_FIELDS);

/** Per event type: the consent category it needs, its fields, and its required groups (one field of each). */
export const EVENTS = Object.fromEntries(Object.entries(TABLES).map(([type, e]) => [type, [e.consent, fields(e.fields), e.required]])) as unknown as {
  [T in EventType]: [ConsentCategory, Fields, readonly (readonly string[])[]];
};
