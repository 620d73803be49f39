// createTracker: one factory holding a tracker's state in its closure (no globals), used by the
// npm package and by the script tag alike.
import { type EventType, LIMITS } from '@shopbeacon/protocol';
import { checkEvent } from './check';
import { readSbt, writeSbt } from './cookie';
import { randomId, warn } from './id';
import { createQueue, lease, type Stored } from './queue';
import { EVENTS } from './tables';
import { bytes, query, strip } from './transport';
import type { Consent, Options, Tracker } from './types';

/** Events wait this long, so that a page view and a product view make one request. */
const DELAY_MS = 1000;

/** false, or "false" from a data-* attribute. */
const off = (option: unknown) => '' + option == 'false';

export function createTracker({ key, endpoint, transport, consent, autoPage, honorGpc }: Options): Tracker {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  // Global Privacy Control and Do Not Track say no to analytics and targeting, whatever else is said.
  const signal = !off(honorGpc) && (nav.globalPrivacyControl || nav.doNotTrack == '1');
  // Unknown (false) until consent() when required; otherwise all on but targeting (seed 004's categories).
  let given: Consent | false = consent != 'required' && { analytics: true, functional: true };
  /** Whether an event of this type may go, once consent is known. */
  const allowed = (type: EventType) => {
    const c = EVENTS[type][0];
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

  /**
   * A request's body (beacon mode: a CollectBatch) or URL (GET mode: one event). visit is 1 on
   * the first request of a visit (a tab's session), so the Worker refreshes sbt once.
   */
  const request = (events: Stored[], visit?: 1) =>
    get ? url + '?' + query({ key, visit, ...strip(events[0]) }, '').slice(1) : JSON.stringify({ key, visit, events: events.map(strip) });

  /**
   * Hands a batch over: a beacon, else a fetch (a POST of the batch, or GET mode's URL).
   * sendBeacon only answers "queued or not": true counts as delivered. fetch shows the status:
   * 2xx and 4xx are done (4xx with a warning: sending again cannot help), a network error or a
   * 5xx keeps them for later. Before fetching, each event gets its next try time (10 s,
   * doubling), so other flushes and tabs leave it alone while in flight, and a page that dies
   * before the answer retries it later.
   */
  const send = (events: Stored[]) => {
    const ids = events.map((e) => e.id);
    const done = () => queue((all) => all.filter((e) => !ids.includes(e.id)));
    let visit: 1 | undefined;
    try {
      if (!sessionStorage.sbv) visit = sessionStorage.sbv = 1;
    } catch {}
    const r = request(events, visit);
    const blob = get ? undefined : new Blob([r], { type: 'text/plain' });
    if (blob && nav.sendBeacon?.(url, blob)) return done();
    const now = Date.now();
    // -~n is n + 1 and ~~n is n, an undefined n counting 0 (fewer bytes than (n || 0)).
    queue((all) => all.map((e) => (ids.includes(e.id) ? { ...e, n: -~e.n!, r: now + 1e4 * 2 ** Math.min(~~e.n!, 9) } : e)));
    // credentials: sendBeacon sends cookies, and the Worker's Set-Cookie refreshing sbt needs them.
    fetch(get ? r : url, { method: blob && 'POST', body: blob, keepalive: true, credentials: 'include' }).then((res) => {
      if (res.status < 500) {
        done();
        if (!res.ok) warn(`HTTP ${res.status}, ${ids.length} event(s) dropped`);
      }
    }, () => {});
  };

  /**
   * Sends what is due: in GET mode one request per event; else batches of at most
   * LIMITS.eventsPerBatch events and LIMITS.beaconBytes bytes (sendBeacon's quota is 64 KiB for
   * all in flight). A batch may mix account, order and optin events with the others: with the
   * site's get_mode off the Worker refuses those (403) and takes the rest. While another tab drains, ours wait in
   * storage and we try again shortly.
   */
  const flush = () => {
    clearTimeout(timer);
    timer = 0;
    // Offline, a beacon would be "queued" and lost: keep the events until the network is back.
    if (!given || !nav.onLine) return;
    if (!lease(name, me, true)) return soon();
    const now = Date.now();
    let batch: Stored[] = [];
    for (const e of queue().filter((e) => !(e.r! > now))) {
      if (batch[0] && (get || batch[LIMITS.eventsPerBatch - 1] || bytes(request([...batch, e], 1)) > LIMITS.beaconBytes)) {
        send(batch);
        batch = [];
      }
      batch.push(e);
    }
    if (batch[0]) send(batch);
    lease(name, me);
  };
  const soon = () => {
    timer ||= setTimeout(flush, DELAY_MS);
  };

  const admit = (e: Stored) => {
    if (!allowed(e.type)) return warn(`${e.type} not sent: no ${EVENTS[e.type][0]} consent`);
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
        title: document.title.slice(0, LIMITS.titleLength),
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
  document.addEventListener('visibilitychange', () => document.hidden && flush());

  // The 13-month cookie only with analytics or functional consent: with both refused, essential
  // events still go, carrying an id that lives as long as the page.
  const keep = () => (allowed('page') || allowed('cart')) && writeSbt(sbt);
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
