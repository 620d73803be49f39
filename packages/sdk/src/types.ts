// The SDK's public types, derived from the wire contract's kind tables: a field added to
// @shopbeacon/protocol appears here with no edit.
import type { ConsentCategory, EVENTS, EventType, InputOf } from '@shopbeacon/protocol';

export type { InputOf };

/** The data of each event type, from EVENTS[type].fields. */
export type EventData = { [T in EventType]: InputOf<(typeof EVENTS)[T]['fields']> };

/** Consent per category (seed 004). `essential` is always on once consent is known. */
export type Consent = { [C in ConsentCategory]?: boolean };

export interface Options {
  /** The site's public key (pk_…). */
  key: string;
  /** Where the Worker answers, like https://track.shop.example; events go to {endpoint}/collect. */
  endpoint: string;
  /** 'beacon' (default): batched POSTs. 'get': one GET per event, data in PHP bracket syntax. */
  transport?: 'beacon' | 'get';
  /** 'required': no cookie and nothing sent until consent() says which categories are allowed. */
  consent?: 'required';
  /** A page view on start and on each history navigation (pushState, replaceState, popstate). Default true. */
  autoPage?: boolean;
  /** Global Privacy Control and Do Not Track turn off analytics and targeting. Default true. */
  honorGpc?: boolean;
  /**
   * Query parameters whose values page views never send (with email addresses, always redacted):
   * default email, e, mail, token, password, phone, tel; [] for none but the emails. In the
   * script tag: data-redact="email,token,coupon".
   */
  redact?: string[] | string;
  /**
   * The store this page belongs to, on a site with several: its id (1 to 32 of a-z, 0-9, _ and -),
   * sent with every event. An id that is not one is left out, with a console warning. In the
   * script tag: data-store="fr".
   */
  store?: string;
}

/** Each event method answers true when the event is accepted (queued, or held until consent). */
export interface Tracker {
  /** A page view; without data, the current URL, the referrer (or the previous SPA page) and the title. */
  page(data?: EventData['page']): boolean;
  product(data: EventData['product']): boolean;
  cart(data: EventData['cart']): boolean;
  account(data: EventData['account']): boolean;
  order(data: EventData['order']): boolean;
  optin(data: EventData['optin']): boolean;
  /** Which categories the visitor allows; events waiting for consent are then sent or dropped. */
  consent(categories: Consent): void;
  /** Sends what is waiting now, instead of within the second. */
  flush(): void;
}
