// The wire contract: every field name the server API and the browser tracker accept, with its
// kind. Names and meanings are SPREAD's (../shared/seeds/spread-api-updateOrder.fr.txt), so a
// shop that follows that page works unchanged. The Worker validates with this table, the SDK
// types come from it, and the README's field tables are generated from it.

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

export interface FieldSpec {
  kind: Kind;
  doc: string;
}

const text = (max: number, doc: string): FieldSpec => ({ kind: { t: 'text', max }, doc });
const of = (t: Exclude<Kind['t'], 'text' | 'enum'>, doc: string): FieldSpec => ({ kind: { t } as Kind, doc });

/** One line of a cart or an order (tracker events). */
export const ITEM_FIELDS = {
  product_id: of('id', 'Product id (or sku).'),
  sku: text(128, 'SKU.'),
  name: text(255, 'Product name.'),
  category: text(255, 'Category path, "A/B/C" (category / subcategory / sub-subcategory).'),
  quantity: of('quantity', 'Quantity, a whole number ≥ 1.'),
  unit_price: of('amount', 'Unit price.'),
} as const satisfies Record<string, FieldSpec>;

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
  itemsPerCart: 500,
} as const;

export const PROFILE_FIELDS = {
  customer_email: of('email', 'Email address; identifies the profile (with or instead of external_id).'),
  external_id: of('id', "The shop's own customer id; identifies the profile (with or instead of customer_email)."),
  customer_cookie: of('cookie', 'The `sbt` cookie set by the tracker, passed through so browser and server data join one profile.'),
  customer_name: text(255, 'Last name.'),
  customer_firstname: text(255, 'First name.'),
  customer_isoptin: of('optin', 'Email opt-in: 1 opted in, 0 not opted in, -1 unknown. Recorded with its time.'),
  customer_mobile_isoptin: of('optin', 'SMS opt-in: 1, 0 or -1, as customer_isoptin.'),
  customer_gender: { kind: { t: 'enum', of: ['male', 'female'] }, doc: '`male` or `female`.' },
  customer_address: text(255, 'Address, first line.'),
  customer_address2: text(255, 'Address, second line.'),
  customer_address3: text(255, 'Address, third line.'),
  customer_cp: text(32, 'Postcode.'),
  customer_city: text(255, 'City.'),
  customer_country: of('country', 'Country, ISO 3166-1 alpha-2 (`FR`).'),
  customer_tel: text(32, 'Phone.'),
  customer_mobile: text(32, 'Mobile phone.'),
  customer_fonction: text(255, 'Job title.'),
  customer_company: text(255, 'Company.'),
  customer_birthday: of('date', 'Birthday, Y-m-d.'),
  customer_lang: of('lang', 'Language, like `fr_FR` or `fr`.'),
  add_tag: of('tags', 'Tags to add to the profile.'),
  del_tag: of('tags', 'Tags to remove from the profile.'),
  custom_fields: of('custom_fields', 'Custom field values by numeric field id: `custom_fields[327]=value`. An empty value clears the field.'),
  action: text(64, 'What the shop was doing: `order` (the seed\'s value), `account` (an account was created: applies the GDPR "on account creation" basis), `newsletter`, …'),
} as const satisfies Record<string, FieldSpec>;

export const ORDER_FIELDS = {
  order_idorder: of('id', "The order's unique id in the shop. The first call with an id creates the order, later calls update it."),
  order_state: of('state', 'State: 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received.'),
  order_amount: of('amount', 'Amount, a decimal number ≥ 0 (`158.31`).'),
  order_crea_dt: of('datetime', 'Order date, Y-m-d H:i:s in UTC. Kept from the first call.'),
  order_start_service: of('date', 'Start of the service (bookings, subscriptions), Y-m-d.'),
  order_end_service: of('date', 'End of the service, Y-m-d.'),
  product_attributes: of('attributes', 'One list of `key:value` strings per product; replaces the previous lists. An empty list (or, in a form body, an empty value) clears them.'),
  add_order_tag: of('tags', 'Tags to add to the order.'),
  del_order_tag: of('tags', 'Tags to remove from the order.'),
} as const satisfies Record<string, FieldSpec>;

export const ORDER_REQUIRED = ['order_idorder', 'order_state', 'order_amount', 'order_crea_dt'] as const;

export type ProfileFieldName = keyof typeof PROFILE_FIELDS;
export type OrderFieldName = keyof typeof ORDER_FIELDS;

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
type WireOf<S> = S extends { kind: { t: infer T extends keyof WireTypes } } ? WireTypes[T] : never;

export type ProfileInput = { [K in ProfileFieldName]?: WireOf<(typeof PROFILE_FIELDS)[K]> };
export type OrderInput = ProfileInput & { [K in OrderFieldName]?: WireOf<(typeof ORDER_FIELDS)[K]> };

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
type NormalOf<S> = S extends { kind: { t: infer T extends keyof NormalTypes } } ? NormalTypes[T] : never;
export type Profile = { [K in ProfileFieldName]?: NormalOf<(typeof PROFILE_FIELDS)[K]> };
export type Order = { [K in OrderFieldName]?: NormalOf<(typeof ORDER_FIELDS)[K]> };
