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
    try {
      // events is changed first: when localStorage throws, the change stays in memory.
      if (change) localStorage[name] = JSON.stringify((events = change(events)));
    } catch {}
    return events;
  };
}
