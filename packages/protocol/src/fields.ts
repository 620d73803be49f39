// The wire contract: every field name the server API and the browser tracker accept, with its
// kind. Names and meanings are SPREAD's (../shared/seeds/spread-api-updateOrder.fr.txt), so a
// shop that follows that page works unchanged. The Worker validates with this table, the SDK
// types come from it, and the README's field tables are generated from it.

/** A field's kind. What each field means is in docs.ts, kept apart: the browser SDK bundles these tables. */
export type Kind =
  | { t: 'text'; max: number }
  | { t: 'email' }
  | { t: 'id' } // an identifier chosen by the shop: 1..128 characters, no control characters
  | { t: 'cookie' } // the sbt visitor id
  | { t: 'enum'; of: readonly string[] }
  | { t: 'optin' } // 1 opt-in, 0 not opted in, -1 unknown
  | { t: 'lang' }
  | { t: 'country' }
  | { t: 'date' } // Y-m-d
  | { t: 'datetime' } // Y-m-d H:i:s, UTC
  | { t: 'state' }
  | { t: 'amount' }
  | { t: 'tags' }
  | { t: 'attributes' }
  | { t: 'custom_fields' }
  | { t: 'url' } // http(s) URL
  | { t: 'number' } // a number ≥ 0 (ratings, percentages)
  | { t: 'quantity' } // a whole number ≥ 1
  | { t: 'currency' } // ISO 4217
  | { t: 'items' }; // a list of ITEM_FIELDS objects

/** One line of a cart or an order (tracker events). */
export const ITEM_FIELDS = {
  product_id: { t: 'id' },
  sku: { t: 'text', max: 128 },
  name: { t: 'text', max: 255 },
  category: { t: 'text', max: 255 },
  quantity: { t: 'quantity' },
  unit_price: { t: 'amount' },
} as const satisfies Record<string, Kind>;

/** The sbt cookie's value (customer_cookie): what the tracker sets, and what older trackers may have set. */
export const SBT_PATTERN = /^[\w.-]{8,128}$/;

/** Order states (seed 003): the numbers are the wire values, the names what the dashboard shows. */
export const ORDER_STATES = { 0: 'cancelled', 10: 'taken', 20: 'paid', 50: 'sent', 100: 'received' } as const;
export type OrderState = keyof typeof ORDER_STATES;

export const LIMITS = {
  /** Largest request body the server API takes (bytes). */
  bodyBytes: 64 * 1024,
  /** Tags added or removed in one call, per list. */
  tagsPerCall: 100,
  tagLength: 100,
  productsPerOrder: 500,
  attributesPerProduct: 50,
  attributeLength: 200,
  customFieldsPerCall: 100,
  customFieldValueLength: 1000,
  maxAmount: 1e12,
  urlLength: 2048,
  /** A page view's title (the tracker cuts document.title to it). */
  titleLength: 512,
  itemsPerCart: 500,
  /** Tracker: events in one POST /collect batch. */
  eventsPerBatch: 100,
  /**
   * Tracker: account, order and optin events (each writes a profile, up to 4 statements) in one
   * POST /collect batch. D1 counts every statement against its queries per Worker invocation, 50
   * on the Free plan: test/d1-queries.test.ts holds the heaviest batch under that.
   */
  profileEventsPerBatch: 4,
  /** Tracker: a beacon batch stays under this many bytes (sendBeacon's quota is 64 KiB per page). */
  beaconBytes: 60 * 1024,
  /** Tracker: a GET-mode URL stays under this many bytes. */
  getUrlBytes: 8 * 1024,
  /** Tracker: unsent events kept in localStorage; the oldest are dropped first. */
  storedEvents: 500,
  /** The sbt visitor cookie lives 13 months, the CNIL maximum (and under Chrome's 400-day cap). */
  sbtDays: 395,
  /** Tracker: an event's client time (ms) is within 2000-01-01 and 2100-01-01. */
  minClientTs: 946_684_800_000,
  maxClientTs: 4_102_444_800_000,
} as const;

export const PROFILE_FIELDS = {
  customer_email: { t: 'email' },
  external_id: { t: 'id' },
  customer_cookie: { t: 'cookie' },
  customer_name: { t: 'text', max: 255 },
  customer_firstname: { t: 'text', max: 255 },
  customer_isoptin: { t: 'optin' },
  customer_mobile_isoptin: { t: 'optin' },
  customer_gender: { t: 'enum', of: ['male', 'female'] },
  customer_address: { t: 'text', max: 255 },
  customer_address2: { t: 'text', max: 255 },
  customer_address3: { t: 'text', max: 255 },
  customer_cp: { t: 'text', max: 32 },
  customer_city: { t: 'text', max: 255 },
  customer_country: { t: 'country' },
  customer_tel: { t: 'text', max: 32 },
  customer_mobile: { t: 'text', max: 32 },
  customer_fonction: { t: 'text', max: 255 },
  customer_company: { t: 'text', max: 255 },
  customer_birthday: { t: 'date' },
  customer_lang: { t: 'lang' },
  add_tag: { t: 'tags' },
  del_tag: { t: 'tags' },
  custom_fields: { t: 'custom_fields' },
  action: { t: 'text', max: 64 },
} as const satisfies Record<string, Kind>;

export const ORDER_FIELDS = {
  order_idorder: { t: 'id' },
  order_state: { t: 'state' },
  order_amount: { t: 'amount' },
  order_crea_dt: { t: 'datetime' },
  order_start_service: { t: 'date' },
  order_end_service: { t: 'date' },
  product_attributes: { t: 'attributes' },
  add_order_tag: { t: 'tags' },
  del_order_tag: { t: 'tags' },
  items: { t: 'items' },
  order_pickup_location: { t: 'text', max: 255 },
} as const satisfies Record<string, Kind>;

/** The server API's order: the same, and its store (a browser event carries its own, CollectEvent.store). */
export const SERVER_ORDER_FIELDS = {
  ...ORDER_FIELDS,
  store: { t: 'text', max: 32 },
} as const satisfies Record<string, Kind>;

export const ORDER_REQUIRED = ['order_idorder', 'order_state', 'order_amount', 'order_crea_dt'] as const;

export type ProfileFieldName = keyof typeof PROFILE_FIELDS;
export type OrderFieldName = keyof typeof SERVER_ORDER_FIELDS;

/** The TypeScript type a client sends for each kind (strings are accepted where PHP sends them). */
interface WireTypes {
  text: string;
  email: string;
  id: string | number;
  cookie: string;
  enum: string;
  optin: 1 | 0 | -1 | '1' | '0' | '-1';
  lang: string;
  country: string;
  date: string;
  datetime: string;
  state: OrderState | `${OrderState}`;
  amount: number | string;
  tags: string[];
  attributes: string[][];
  custom_fields: Record<string, string | number>;
  url: string;
  number: number | string;
  quantity: number | string;
  currency: string;
  items: ItemInput[];
}
export type ItemInput = { [K in keyof typeof ITEM_FIELDS]?: WireOf<(typeof ITEM_FIELDS)[K]> };
type WireOf<S> = S extends { t: infer T extends keyof WireTypes } ? WireTypes[T] : never;
/** What a client may send for a table of fields (every field optional; `required` says more). */
export type InputOf<F> = { -readonly [K in keyof F]?: WireOf<F[K]> };

export type ProfileInput = { [K in ProfileFieldName]?: WireOf<(typeof PROFILE_FIELDS)[K]> };
export type OrderInput = ProfileInput & { [K in OrderFieldName]?: WireOf<(typeof SERVER_ORDER_FIELDS)[K]> };

/** The value each kind normalizes to once valid. */
interface NormalTypes {
  text: string;
  email: string;
  id: string;
  cookie: string;
  enum: string;
  optin: 1 | 0 | -1;
  lang: string;
  country: string;
  date: string;
  datetime: string;
  state: OrderState;
  amount: number;
  tags: string[];
  attributes: string[][];
  custom_fields: Record<string, string | null>;
  url: string;
  number: number;
  quantity: number;
  currency: string;
  items: Item[];
}
export type Item = { [K in keyof typeof ITEM_FIELDS]?: NormalOf<(typeof ITEM_FIELDS)[K]> };
type NormalOf<S> = S extends { t: infer T extends keyof NormalTypes } ? NormalTypes[T] : never;
export type Profile = { [K in ProfileFieldName]?: NormalOf<(typeof PROFILE_FIELDS)[K]> };
export type Order = { [K in OrderFieldName]?: NormalOf<(typeof SERVER_ORDER_FIELDS)[K]> };
