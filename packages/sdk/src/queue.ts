// Events not yet delivered, kept in localStorage so a closed tab, a network error or a 5xx
// loses nothing: the next flush or page sends them again, and the Worker drops ids it has
// already taken, so a retry never counts twice.
import type { CollectEvent } from '@shopbeacon/protocol';

/** A stored event: `r` is when it may be sent again (ms), `n` how many sends it has had. */
export interface Stored extends CollectEvent {
  r?: number;
  n?: number;
}

/**
 * The stored queue under `name`: queue() reads it, queue(change) reads, changes and writes it
 * back at once (another tab may have added events since our last read). Without localStorage
 * (blocked, sandboxed frame) it lives as long as the page.
 */
export type Queue = ReturnType<typeof createQueue>;

export function createQueue(name: string) {
  let events: Stored[] = [];
  return (change?: (events: Stored[]) => Stored[]) => {
    try {
      events = JSON.parse(localStorage[name] || '[]');
    } catch {}
    if (change) {
      events = change(events);
      try {
        localStorage[name] = JSON.stringify(events);
      } catch {}
    }
    return events;
  };
}

/** How long a drain may hold the lease: it is synchronous, so a held lease means a tab died in it. */
const LEASE_MS = 5000;

/**
 * Takes (or gives back) the drain lease of queue `name` for tab `me`, so two tabs do not send
 * the same stored events: false while another tab holds it. A timestamp key, not
 * navigator.locks: Web Locks grant asynchronously, and a drain on pagehide must reach
 * sendBeacon before the page is gone. Two tabs taking it in the same millisecond could both
 * send: the Worker drops the duplicate ids.
 */
export function lease(name: string, me: string, take?: boolean): boolean {
  name += ':lease';
  try {
    const [holder, until] = (localStorage[name] || '').split(' ');
    if (holder != me && +until > Date.now()) return false;
    if (take) localStorage[name] = me + ' ' + (Date.now() + LEASE_MS);
    else delete localStorage[name];
  } catch {}
  return true;
}
