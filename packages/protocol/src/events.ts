// Tracker events: what the browser SDK sends to /collect. The account, order and optin events
// carry the server API's own fields (fields.ts), so one validator and one write path serve both;
// page, product and cart add the fields of seed 004 (Connectif's product view and cart).
import { type Kind, LIMITS, ORDER_FIELDS, ORDER_REQUIRED, PROFILE_FIELDS } from './fields';

export { ITEM_FIELDS } from './fields';

export const PAGE_FIELDS = {
  url: { t: 'url' },
  referrer: { t: 'url' },
  title: { t: 'text', max: LIMITS.titleLength },
} as const satisfies Record<string, Kind>;

export const PRODUCT_FIELDS = {
  product_id: { t: 'id' },
  url: { t: 'url' },
  name: { t: 'text', max: 255 },
  brand: { t: 'text', max: 255 },
  rating_value: { t: 'number' },
  unit_price: { t: 'amount' },
  unit_price_original: { t: 'amount' },
  unit_price_without_vat: { t: 'amount' },
  discounted_amount: { t: 'amount' },
  discounted_percentage: { t: 'number' },
  availability: { t: 'text', max: 64 },
  image_url: { t: 'url' },
  thumbnail_url: { t: 'url' },
  related_external_product_id: { t: 'tags' },
  category: { t: 'text', max: 255 },
} as const satisfies Record<string, Kind>;

export const CART_FIELDS = {
  items: { t: 'items' },
  cart_amount: { t: 'amount' },
  currency: { t: 'currency' },
  cart_recovery_url: { t: 'url' },
} as const satisfies Record<string, Kind>;

export const OPTIN_FIELDS = {
  customer_email: PROFILE_FIELDS.customer_email,
  customer_mobile: PROFILE_FIELDS.customer_mobile,
  customer_isoptin: PROFILE_FIELDS.customer_isoptin,
  customer_mobile_isoptin: PROFILE_FIELDS.customer_mobile_isoptin,
} as const satisfies Record<string, Kind>;

export const ORDER_EVENT_FIELDS = {
  ...PROFILE_FIELDS,
  ...ORDER_FIELDS,
} as const satisfies Record<string, Kind>;

/** The consent category each event needs before it may be sent (seed 004's categories). */
export type ConsentCategory = 'essential' | 'analytics' | 'functional' | 'targeting';

/** Who the profile is: seed 003 asks for customer_email and/or external_id. */
const IDENTITY = ['customer_email', 'external_id'] as const;

/**
 * Per event type: its fields, the consent category it needs, and what is required, as groups
 * of which at least one field must be sent (["customer_email", "external_id"]: either).
 */
export const EVENTS = {
  page: { fields: PAGE_FIELDS, consent: 'analytics', required: [] },
  product: { fields: PRODUCT_FIELDS, consent: 'analytics', required: [['product_id']] },
  cart: { fields: CART_FIELDS, consent: 'functional', required: [] },
  // The shop needs these to run (accounts, orders, the opt-in the visitor just gave).
  account: { fields: PROFILE_FIELDS, consent: 'essential', required: [IDENTITY] },
  order: { fields: ORDER_EVENT_FIELDS, consent: 'essential', required: [IDENTITY, ...ORDER_REQUIRED.map((f) => [f] as const)] },
  optin: {
    fields: OPTIN_FIELDS,
    consent: 'essential',
    required: [
      ['customer_email', 'customer_mobile'],
      ['customer_isoptin', 'customer_mobile_isoptin'],
    ],
  },
} as const satisfies Record<string, { fields: Record<string, Kind>; consent: ConsentCategory; required: readonly (readonly string[])[] }>;

export type EventType = keyof typeof EVENTS;

/** Events only taken from the browser when the site's get_mode setting is on (seed 000). */
export const GET_MODE_EVENTS: readonly EventType[] = ['account', 'order', 'optin'];

/**
 * One tracker event as it travels to /collect. `id` is random (128 bits, base64url) and makes
 * retries safe: the Worker drops an id it has already taken. `ts` is the client's clock (ms).
 */
export interface CollectEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  ts: number;
  sbt: string;
  /**
   * Which of the site's stores the page belongs to, when the site has several (the SDK's `store`
   * option, data-store on the script tag): a store id, 1 to 32 of a-z, 0-9, "_" and "-". Absent:
   * the page did not say.
   */
  store?: string;
  data: Record<string, unknown>;
}

/**
 * POST /collect body, sent as text/plain (no CORS preflight). `key` is the public key (or in
 * the query string: /collect?key=pk_…). GET mode sends one event per request instead:
 * /collect?key=…&type=…&id=…&ts=…&sbt=… with the data fields in PHP bracket syntax
 * (data[customer_email]=…, data[items][0][sku]=…). (`visit`, which earlier SDKs sent, is
 * accepted and ignored.)
 */
export interface CollectBatch {
  key?: string;
  events: CollectEvent[];
}
