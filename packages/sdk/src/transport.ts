// What leaves the browser. Beacon mode POSTs CollectBatch JSON to /collect; GET mode sends one
// GET per event with the data in PHP bracket syntax (SPREAD's "mode GET", seed 000).
import type { CollectEvent } from '@shopbeacon/protocol';
import type { Stored } from './queue';

/** Our retry bookkeeping stays home. */
export const strip = ({ r, n, ...event }: Stored): CollectEvent => event;

export const bytes = (s: string) => new Blob([s]).size;

/**
 * key=…&data[items][0][sku]=…&data[custom_fields][327]=…: what PHP's http_build_query writes,
 * undefined left out (an envelope field not given; the data is JSON, which holds none).
 */
export const query = (v: unknown, name: string): string =>
  v === undefined
    ? ''
    : v && typeof v == 'object'
      ? // An empty list or object would vanish: "name=" is how a form says "clear" (product_attributes).
        Object.keys(v)
          .map((k) => query((v as Record<string, unknown>)[k], name ? `${name}[${k}]` : k))
          .join('') || `&${name}=`
      : `&${name}=${encodeURIComponent(v as string)}`;
