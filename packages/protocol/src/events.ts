// Tracker events: what the browser SDK sends to /collect. The account, order and optin events
// carry the server API's own fields (fields.ts), so one validator and one write path serve both;
// page, product and cart add the fields of seed 004 (Connectif's product view and cart).
import { type FieldSpec, ORDER_FIELDS, PROFILE_FIELDS } from './fields';

export { ITEM_FIELDS } from './fields';

const spec = (kind: FieldSpec['kind'], doc: string): FieldSpec => ({ kind, doc });
const text = (max: number, doc: string) => spec({ t: 'text', max }, doc);
const url = (doc: string) => spec({ t: 'url' }, doc);
const money = (doc: string) => spec({ t: 'amount' }, doc);

export const PAGE_FIELDS = {
  url: url('Page URL (default: location.href).'),
  referrer: spec({ t: 'url' }, 'Referrer (default: document.referrer).'),
  title: text(512, 'Page title (default: document.title).'),
} as const satisfies Record<string, FieldSpec>;

export const PRODUCT_FIELDS = {
  product_id: spec({ t: 'id' }, 'Product id or SKU, as the shop chooses (seed 004).'),
  url: url('Product page URL.'),
  name: text(255, 'Name.'),
  brand: text(255, 'Brand.'),
  rating_value: spec({ t: 'number' }, 'Average rating.'),
  unit_price: money('Price.'),
  unit_price_original: money('Price before discount.'),
  unit_price_without_vat: money('Price without VAT.'),
  discounted_amount: money('Discount, amount.'),
  discounted_percentage: spec({ t: 'number' }, 'Discount, percent.'),
  availability: text(64, 'Availability, like in_stock or out_of_stock.'),
  image_url: url('Image URL.'),
  thumbnail_url: url('Thumbnail URL.'),
  related_external_product_id: spec({ t: 'tags' }, 'Ids of related products.'),
  category: text(255, 'Category path, "A/B/C".'),
} as const satisfies Record<string, FieldSpec>;

export const CART_FIELDS = {
  items: spec({ t: 'items' }, 'The lines of the cart (product_id or sku, name, category, quantity, unit_price).'),
  cart_amount: money('Cart total.'),
  currency: spec({ t: 'currency' }, 'ISO 4217 currency code, like EUR.'),
  cart_recovery_url: url('A URL that restores this cart (for abandoned-cart emails).'),
} as const satisfies Record<string, FieldSpec>;

export const OPTIN_FIELDS = {
  customer_email: PROFILE_FIELDS.customer_email,
  customer_mobile: PROFILE_FIELDS.customer_mobile,
  customer_isoptin: PROFILE_FIELDS.customer_isoptin,
  customer_mobile_isoptin: PROFILE_FIELDS.customer_mobile_isoptin,
} as const satisfies Record<string, FieldSpec>;

export const ORDER_EVENT_FIELDS = {
  ...PROFILE_FIELDS,
  ...ORDER_FIELDS,
  items: CART_FIELDS.items,
} as const satisfies Record<string, FieldSpec>;

/** The consent category each event needs before it may be sent (seed 004's categories). */
export type ConsentCategory = 'essential' | 'analytics' | 'functional' | 'targeting';

export const EVENTS = {
  page: { fields: PAGE_FIELDS, consent: 'analytics' },
  product: { fields: PRODUCT_FIELDS, consent: 'analytics' },
  cart: { fields: CART_FIELDS, consent: 'functional' },
  // The shop needs these to run (accounts, orders, the opt-in the visitor just gave).
  account: { fields: PROFILE_FIELDS, consent: 'essential' },
  order: { fields: ORDER_EVENT_FIELDS, consent: 'essential' },
  optin: { fields: OPTIN_FIELDS, consent: 'essential' },
} as const satisfies Record<string, { fields: Record<string, FieldSpec>; consent: ConsentCategory }>;

export type EventType = keyof typeof EVENTS;

/** Events only taken from the browser when the site's get_mode setting is on (seed 000). */
export const GET_MODE_EVENTS: readonly EventType[] = ['account', 'order', 'optin'];
