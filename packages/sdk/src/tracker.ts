// createTracker: one factory holding a tracker's state in its closure (no globals), used by the
// npm package and by the script tag alike.
import { type EventType, LIMITS, REDACT_PARAMS, redactUrl, urlRedactor } from '@shopbeacon/protocol';
import { checkEvent } from './check';
import { dropSbt, readSbt, writeSbt } from './cookie';
import { randomId, warn } from './id';
import { createQueue, type Stored } from './queue';
import { EVENTS } from './tables';
import { bytes, query, strip } from './transport';
import type { Consent, Options, Tracker } from './types';

/** Events wait this long, so that a page view and a product view make one request. */
const DELAY_MS = 1000;

/** false, or "false" from a data-* attribute. */
const off = (option: unknown) => '' + option == 'false';

/** Account, order and optin events write a profile on the Worker (tables.ts marks them). */
const writesProfile = (e: Stored) => EVENTS[e.type][3];

/** A store id: what the site's stores are named by (the Worker knows them, each with its currency). */
const STORE_ID = /^[a-z0-9_-]{1,32}$/;

export function createTracker({ key, endpoint, transport, consent, autoPage, honorGpc, redact, store }: Options): Tracker {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  // Global Privacy Control and Do Not Track say no to analytics and targeting, whatever else is said.
  const signal = !off(honorGpc) && (nav.globalPrivacyControl || nav.doNotTrack == '1');
  // Unknown (false) until consent() when required; otherwise all on but targeting (seed 004's categories).
  let given: Consent | false = consent != 'required' && { analytics: true, functional: true };
  /** Whether an event of this type may go, once consent is known. */
  const allowed = (type: EventType, c = EVENTS[type][0]) => c == 'essential' || ((given as Consent)[c] && (c == 'functional' || !signal));

  // An id that cannot be a store's is not sent, and said: the events still go, without it.
  if (store != null && !STORE_ID.test(store)) {
    warn(`store "${store}" not sent: must match ${STORE_ID}`);
    store = undefined;
  }

  const url = endpoint.replace(/\/+$/, '') + '/collect';
  const get = transport == 'get';
  const name = 'sbq:' + key;
  const queue = createQueue(name);
  // Before consent the visitor id lives in memory only; consent() writes the cookie.
  let sbt = readSbt() || randomId();
  const held: Stored[] = [];

  /** A request's body (beacon mode: a CollectBatch) or URL (GET mode: one event). */
  const request = (events: Stored[]) =>
    get ? url + '?' + query({ key, ...strip(events[0]) }, '').slice(1) : JSON.stringify({ key, events: events.map(strip) });

  /**
   * Hands a batch over: a beacon, else a fetch (a POST of the batch, or GET mode's URL).
   * sendBeacon only answers "queued or not": true counts as delivered. fetch shows the status:
   * 2xx and 4xx are done (4xx with a warning: sending again cannot help), a network error or a
   * 5xx keeps them for their next try.
   */
  const send = (events: Stored[]) => {
    const ids = events.map((e) => e.id);
    const done = () => queue((all) => all.filter((e) => !ids.includes(e.id)));
    const r = request(events);
    // A batch goes as text: both send it as text/plain;charset=UTF-8, which needs no preflight.
    const body = get ? undefined : r;
    if (body && nav.sendBeacon?.(url, body)) return done();
    // credentials: sendBeacon sends cookies, and the Worker's Set-Cookie refreshing sbt needs them.
    fetch(get ? r : url, { method: body && 'POST', body, keepalive: true, credentials: 'include' }).then((res) => {
      if (res.status < 500) {
        done();
        if (!res.ok) warn(`HTTP ${res.status}, see the answer`);
      }
    }, () => {});
  };

  /**
   * Sends what is due: in GET mode one request per event; else batches of at most
   * LIMITS.eventsPerBatch events and LIMITS.beaconBytes bytes (sendBeacon's quota is 64 KiB for
   * all in flight), and at most LIMITS.profileEventsPerBatch account, order and optin events
   * (each writes a profile: D1 counts its statements per request). A batch may mix those with
   * the others: with the site's get_mode off the Worker refuses them (403) and takes the rest.
   *
   * What is due is taken in one read and write of the stored queue, each event given its next try
   * time (10 s, doubling): another tab's flush leaves it alone while it is in flight, and if
   * this page dies before the answer, a later page sends it again. (Two tabs reading in the
   * same instant could both send it: the Worker drops the second id.)
   */
  const flush = () => {
    // Offline, a beacon would be "queued" and lost: keep the events until the network is back.
    if (!given || !nav.onLine) return;
    const now = Date.now();
    const due: Stored[] = [];
    // -~n is n + 1, an undefined n counting 0 (fewer bytes than (n || 0) + 1); 1e4 << Math.min(n, 9)
    // is 10 s × 2^n up to 2^9, an undefined n giving NaN, which << counts 0.
    queue((all) => all.map((e) => (e.r! > now ? e : (due.push(e), { ...e, n: -~e.n!, r: now + (1e4 << Math.min(e.n!, 9)) }))));
    let batch: Stored[] = [];
    for (const e of due) {
      if (
        batch[0] &&
        (get ||
          batch[LIMITS.eventsPerBatch - 1] ||
          (writesProfile(e) && batch.filter(writesProfile)[LIMITS.profileEventsPerBatch - 1]) ||
          bytes(request([...batch, e])) > LIMITS.beaconBytes)
      ) {
        send(batch);
        batch = [];
      }
      batch.push(e);
    }
    if (batch[0]) send(batch);
  };
  // A flush per call, not one timer kept: the first sends what is due, the later ones find it
  // gone or marked in flight.
  const soon = () => setTimeout(flush, DELAY_MS);

  const admit = (e: Stored) => {
    if (!allowed(e.type)) return warn(`${e.type} not sent: no ${EVENTS[e.type][0]} consent`);
    e.sbt = sbt; // the id of now: consent() may have dropped the cookie of the id it was held with
    queue((events) => {
      if (events.push(e) > LIMITS.storedEvents) warn('queue full, oldest event dropped');
      return events.slice(-LIMITS.storedEvents);
    });
    soon();
  };

  // Page views. The URL without its #fragment says whether the page changed (in-page anchors fire
  // popstate too); the referrer of an SPA page is the page before it, not document.referrer.
  let seen: string | undefined;
  const here = () => location.href.split('#')[0];
  // Emails and the values of these query parameters never leave the page (protocol's redact.ts).
  const redactor = urlRedactor('' + (redact ?? REDACT_PARAMS)); // a list, or data-redact's "a,b"
  const clean = (href: string) => redactUrl(href, redactor).slice(0, LIMITS.urlLength);
  const limit = get ? LIMITS.getUrlBytes : LIMITS.beaconBytes; // one event's request

  const tracker = {} as Tracker;
  for (const type in EVENTS)
    tracker[type as EventType] = (data: unknown) => {
      if (type == 'page') {
        const referrer = seen ?? document.referrer;
        seen = here();
        data ||= { url: clean(location.href), referrer: clean(referrer), title: document.title.slice(0, LIMITS.titleLength) };
      }
      // No store: undefined, which neither the JSON nor the GET query string carries.
      const e: Stored = { type: type as EventType, id: randomId(), ts: Date.now(), sbt, store, data: data as Stored['data'] };
      let error = checkEvent(type as EventType, data).join('; ');
      if (!error)
        try {
          e.data = JSON.parse(JSON.stringify(data)); // later changes by the caller are not sent
          error = bytes(request([e])) > limit ? `over ${limit} bytes` : '';
        } catch {
          error = 'data is not JSON'; // a BigInt, a cycle: never an exception in the shop's code
        }
      if (error) warn(`${type} not sent: ${error}`);
      else given ? admit(e) : held.push(e);
      return !error;
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
  document.addEventListener('visibilitychange', () => document.hidden && flush());

  // The 13-month cookie only with analytics or functional consent, written when it is not there
  // (rewriting it on every page would also undo the Worker's refresh: Safari caps a cookie written
  // by script at 7 days). With both refused, a cookie an earlier "yes" left is removed, and
  // essential events still go, carrying an id that lives as long as the page.
  const keep = () => {
    if (allowed('page') || allowed('cart')) readSbt() != sbt && writeSbt(sbt);
    else if (readSbt()) {
      dropSbt();
      sbt = randomId();
    }
  };
  if (given) keep();
  soon(); // what earlier pages left unsent

  tracker.consent = (categories) => {
    given = categories;
    keep();
    held.splice(0).forEach(admit);
    // A later "no" also takes back what is still waiting.
    queue((events) => events.filter((e) => allowed(e.type)));
    soon();
  };
  tracker.flush = flush;
  return tracker;
}
