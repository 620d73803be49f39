// The script tag: <script async src="https://TRACKER/sdk.js" data-key="pk_…"></script>, options
// in data-* attributes named as createTracker's (data-auto-page="false" is autoPage: false).
// Calls made through the stub before this script loaded are replayed in order; later calls run
// at once.
import { warn } from './id';
import { createTracker } from './tracker';
import type { Options, Tracker } from './types';

type Call = (name: keyof Tracker, data?: unknown) => unknown;

export function boot(script: HTMLScriptElement) {
  const d = script.dataset;
  if (!d.key) return warn('data-key missing');
  // The endpoint is the script's own origin (the Worker serves both) unless data-endpoint says otherwise.
  const tracker = createTracker({ ...d, endpoint: d.endpoint || new URL(script.src).origin } as Options);
  // q: the stub's arguments objects (iterable, as arrays are), each (name, data).
  const w = window as unknown as { shopbeacon?: Call & { q?: Parameters<Call>[] } };
  const queued = w.shopbeacon?.q || [];
  const call: Call = (name, data) =>
    typeof tracker[name] == 'function' ? (tracker[name] as (data: unknown) => unknown)(data) : warn(`unknown call ${name}`);
  w.shopbeacon = call;
  for (const args of queued) call(...args);
}
