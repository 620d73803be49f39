// createTracker: one factory holding a tracker's state in its closure (no globals), used by the
// npm package and by the script tag alike.
import { type EventType, GET_MODE_EVENTS, LIMITS } from '@shopbeacon/protocol';
import { checkEvent } from './check';
import { readSbt, writeSbt } from './cookie';
import { randomId, warn } from './id';
import { createQueue, lease, type Stored } from './queue';
import { EVENTS } from './tables';
import { body, bytes, getUrl, send } from './transport';
import type { Consent, EventData, Options, Tracker } from './types';

/** Events wait this long, so that a page view and a product view make one request. */
const DELAY_MS = 1000;

/** false, or "false" from a data-* attribute. */
const off = (option: unknown) => '' + option == 'false';

/**
 * Account, order and optin events travel in batches of their own: the Worker refuses a whole
 * batch (403) when the site's get_mode is off, and that must not take page views down with it.
 */
const gated = (e: Stored) => GET_MODE_EVENTS.includes(e.type);

export function createTracker({ key, endpoint, transport, consent, autoPage, honorGpc }: Options): Tracker {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  // Global Privacy Control and Do Not Track say no to analytics and targeting, whatever else is said.
  const signal = !off(honorGpc) && (nav.globalPrivacyControl || nav.doNotTrack == '1');
  // Unknown (false) until consent() when required; otherwise all on but targeting (seed 004's categories).
  let given: Consent | false = consent != 'required' && { analytics: true, functional: true };
  /** Whether an event may go, once consent is known: its category's name, or "" when refused. */
  const allowed = (e: Stored) => {
    const c = EVENTS[e.type][0];
    return c == 'essential' || ((given as Consent)[c] && !(signal && c != 'functional'));
  };

  const url = endpoint.replace(/\/+$/, '') + '/collect';
  const get = transport == 'get';
  const name = 'sbq:' + key;
  const queue = createQueue(name);
  const me = randomId();
  // Before consent the visitor id lives in memory only; consent() writes the cookie.
  const sbt = readSbt() || randomId();
  const held: Stored[] = [];
  let timer: ReturnType<typeof setTimeout> | 0 = 0;

  /** 1 on the first request of a visit (a tab's session), so the Worker refreshes sbt once. */
  const visit = (): 1 | undefined => {
    try {
      if (!sessionStorage.sbv) return (sessionStorage.sbv = 1);
    } catch {}
  };
  /** GET mode's URL for one event, or a batch's body. */
  const request = (events: Stored[], v = visit()) => (get ? getUrl(url, key, events[0], v) : body(key, events, v));

  /**
   * Sends what is due: in GET mode one request per event; else batches of at most
   * LIMITS.eventsPerBatch events and LIMITS.beaconBytes bytes (sendBeacon's quota is 64 KiB for
   * all in flight), gated events first and apart. While another tab drains, ours wait in
   * storage and we try again shortly.
   */
  const flush = () => {
    clearTimeout(timer);
    timer = 0;
    // Offline, a beacon would be "queued" and lost: keep the events until the network is back.
    if (!given || !navigator.onLine) return;
    if (!lease(name, me, true)) return soon();
    const now = Date.now();
    let batch: Stored[] = [];
    const out = () => batch[0] && send(queue, batch, get ? request(batch) : url, get ? undefined : new Blob([request(batch)], { type: 'text/plain' }));
    for (const e of queue()
      .filter((e) => !(e.r! > now))
      .sort((a, b) => +gated(b) - +gated(a))) {
      if (batch[0] && (get || batch[LIMITS.eventsPerBatch - 1] || gated(batch[0]) != gated(e) || bytes(body(key, [...batch, e], 1)) > LIMITS.beaconBytes)) {
        out();
        batch = [];
      }
      batch.push(e);
    }
    out();
    lease(name, me);
  };
  const soon = () => {
    timer ||= setTimeout(flush, DELAY_MS);
  };

  const admit = (e: Stored) => {
    if (!allowed(e)) return warn(`${e.type} not sent: no ${EVENTS[e.type][0]} consent`);
    queue((events) => {
      if (events.push(e) > LIMITS.storedEvents) warn('queue full, oldest event dropped');
      return events.slice(-LIMITS.storedEvents);
    });
    soon();
  };

  const tracker = {} as Tracker;
  for (const type in EVENTS)
    tracker[type as EventType] = (data: unknown) => {
      const e: Stored = { type: type as EventType, id: randomId(), ts: Date.now(), sbt, data: data as Stored['data'] };
      const limit = get ? LIMITS.getUrlBytes : LIMITS.beaconBytes;
      const error = checkEvent(type as EventType, data).join('; ') || (bytes(request([e], 1)) > limit && `over ${limit} bytes`);
      if (error) warn(`${type} not sent: ${error}`);
      else {
        e.data = JSON.parse(JSON.stringify(data)); // later changes by the caller are not sent
        given ? admit(e) : held.push(e);
      }
      return !error;
    };

  // Page views. The URL without its #fragment says whether the page changed (in-page anchors fire
  // popstate too); the referrer of an SPA page is the page before it, not document.referrer.
  let seen: string | undefined;
  const here = () => location.href.split('#')[0];
  const track = tracker.page;
  tracker.page = (data) => {
    const referrer = seen ?? document.referrer;
    seen = here();
    return track(
      data || {
        url: location.href.slice(0, LIMITS.urlLength),
        referrer: referrer.slice(0, LIMITS.urlLength),
        title: document.title.slice(0, EVENTS.page[1].title as number),
      },
    );
  };

  if (!off(autoPage)) {
    const changed = () => here() != seen && tracker.page();
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args);
        changed();
      };
    }
    addEventListener('popstate', changed);
    // Deferred: the stub's queued calls are replayed first, so a queued page() is not doubled.
    setTimeout(changed);
  }

  // The last moments of a page: what sendBeacon is made for.
  addEventListener('pagehide', flush);
  addEventListener('online', flush);
  document.addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && flush());

  // The 13-month cookie only with analytics or functional consent: with both refused, essential
  // events still go, carrying an id that lives as long as the page.
  const keep = () => (allowed({ type: 'page' } as Stored) || allowed({ type: 'cart' } as Stored)) && writeSbt(sbt);
  if (given) keep();
  soon(); // what earlier pages left unsent

  tracker.consent = (categories) => {
    given = categories;
    keep();
    held.splice(0).forEach(admit);
    // A later "no" also takes back what is still waiting.
    queue((events) => events.filter(allowed));
    soon();
  };
  tracker.flush = flush;
  return tracker;
}
