// The three verify views of the dashboard: orders (seed 000, "Vérifier la remontée des
// commandes"), tracker events, and the requests the Worker refused, with why.
import { LiveTable, OrderFilter, StoreFilter } from '../components';
import type { Store } from '../../settings';
import type { OrdersPerHour } from '../data';
import { Layout, type Nav } from '../layout';
import { type Table, utc } from '../tables';

export const ORDERS_INTRO =
  'The last 200 orders received or updated, newest first. The list refreshes itself every few seconds: place a test order and watch it arrive.';
export const EVENTS_INTRO = 'The last 200 tracker events (page views, products, carts, accounts, orders, opt-ins), newest first.';
export const REJECTIONS_INTRO =
  'The last 200 requests refused for this site, newest first: why an order or an event did not arrive, and what was sent (keys and cookies redacted).';

/** Where a view's rows are polled from: the dashboard's session or a share link's token. */
export const liveUrl = (base: string, view: string, store?: string) => `${base}/views/${view}.json${store ? `?store=${encodeURIComponent(store)}` : ''}`;

/** What a view shows of a site with stores: its stores, and the one chosen (?store=). */
type StoreChoice = { stores?: Store[]; store?: string };

const HOUR_MS = 3_600_000;
const BAR = 10; // px per hour in the chart's own units (viewBox)

/**
 * Orders received per hour over the last 48 hours, as bars (an SVG drawn on the server: no chart
 * library is worth its bytes for one bar chart), so that a merchant sees at a glance that orders
 * stopped arriving. Each bar says its hour and count on hover; the sentence under it says the same
 * for screen readers and for anyone who does not read charts.
 */
export function OrdersChart({ hours }: { hours: OrdersPerHour }) {
  const { counts, start } = hours;
  const max = Math.max(1, ...counts);
  const total = counts.reduce((a, b) => a + b, 0);
  const lastAt = counts.findLastIndex((n) => n > 0);
  const height = 60;
  const width = counts.length * BAR;
  const hourLabel = (i: number) => utc(new Date(start + i * HOUR_MS).toISOString()).slice(0, 16);
  const summary =
    total === 0
      ? 'No order received in the last 48 hours.'
      : `${total} order${total === 1 ? '' : 's'} received in the last 48 hours; the latest in the hour from ${hourLabel(lastAt)} UTC` +
        `${lastAt === counts.length - 1 ? ' (this hour)' : ''}; at most ${max} in one hour.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 14}`} role="img" aria-labelledby="orders-chart-caption">
        <line x1="0" y1={height} x2={width} y2={height} class="axis" />
        {counts.map((n, i) => {
          const h = n ? Math.max(2, Math.round((n / max) * height)) : 0;
          return (
            <rect x={i * BAR + 1} y={height - h} width={BAR - 2} height={h} class={i === counts.length - 1 ? 'now' : undefined}>
              <title>{`${hourLabel(i)} UTC: ${n} order${n === 1 ? '' : 's'}`}</title>
            </rect>
          );
        })}
        <text x="0" y={height + 12} class="tick">48 h ago</text>
        <text x={width / 2} y={height + 12} class="tick" text-anchor="middle">24 h ago</text>
        <text x={width} y={height + 12} class="tick" text-anchor="end">now</text>
      </svg>
      <figcaption id="orders-chart-caption">{`Orders received per hour. ${summary}`}</figcaption>
    </figure>
  );
}

export const OrdersSection = ({ table, q, base, hours, stores, store }: { table: Table; q: string; base: string; hours: OrdersPerHour } & StoreChoice) => (
  <>
    <p class="intro">{ORDERS_INTRO}</p>
    <OrdersChart hours={hours} />
    {stores?.length ? <StoreFilter stores={stores} store={store} q={q} /> : null}
    <OrderFilter q={q} table="orders" store={store} />
    <LiveTable
      id="orders"
      table={table}
      live={liveUrl(base, 'orders', store)}
      filter={q}
      empty={q || store ? 'No order matches this filter.' : 'No order yet. Send one with the PHP example or the tracker.'}
    />
  </>
);

export const EventsSection = ({ table, base, stores, store }: { table: Table; base: string } & StoreChoice) => (
  <>
    <p class="intro">{EVENTS_INTRO}</p>
    {stores?.length ? <StoreFilter stores={stores} store={store} /> : null}
    <LiveTable
      id="events"
      table={table}
      live={liveUrl(base, 'events', store)}
      empty={store ? 'No tracker event from this store yet.' : 'No tracker event yet: install the script tag and open a page of the shop.'}
    />
  </>
);

export const RejectionsSection = ({ table, base }: { table: Table; base: string }) => (
  <>
    <p class="intro">{REJECTIONS_INTRO}</p>
    <LiveTable id="rejections" table={table} live={liveUrl(base, 'rejections')} empty="Nothing refused." />
  </>
);

export const OrdersPage = (p: { nav: Nav; table: Table; q: string; hours: OrdersPerHour } & StoreChoice) => (
  <Layout title="Verify order upload" nav={p.nav}>
    <OrdersSection table={p.table} q={p.q} base="/dashboard" hours={p.hours} stores={p.stores} store={p.store} />
  </Layout>
);

export const EventsPage = (p: { nav: Nav; table: Table } & StoreChoice) => (
  <Layout title="Recent events" nav={p.nav}>
    <EventsSection table={p.table} base="/dashboard" stores={p.stores} store={p.store} />
  </Layout>
);

export const RejectionsPage = (p: { nav: Nav; table: Table }) => (
  <Layout title="Rejected requests" nav={p.nav}>
    <RejectionsSection table={p.table} base="/dashboard" />
  </Layout>
);
