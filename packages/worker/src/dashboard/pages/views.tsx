// The three verify views of the dashboard: orders (seed 000, "Vérifier la remontée des
// commandes"), tracker events, and the requests the Worker refused, with why.
import { LiveTable, OrderFilter } from '../components';
import { Layout, type Nav } from '../layout';
import type { Table } from '../tables';

export const ORDERS_INTRO =
  'The last 200 orders received or updated, newest first. The list refreshes itself every few seconds: place a test order and watch it arrive.';
export const EVENTS_INTRO = 'The last 200 tracker events (page views, products, carts, accounts, orders, opt-ins), newest first.';
export const REJECTIONS_INTRO =
  'The last 200 requests refused for this site, newest first: why an order or an event did not arrive, and what was sent (keys and cookies redacted).';

/** Where a view's rows are polled from: the dashboard's session or a share link's token. */
export const liveUrl = (base: string, view: string) => `${base}/views/${view}.json`;

export const OrdersSection = ({ table, q, base }: { table: Table; q: string; base: string }) => (
  <>
    <p class="intro">{ORDERS_INTRO}</p>
    <OrderFilter q={q} table="orders" />
    <LiveTable id="orders" table={table} live={liveUrl(base, 'orders')} filter={q} empty={q ? 'No order matches this filter.' : 'No order yet. Send one with the PHP example or the tracker.'} />
  </>
);

export const EventsSection = ({ table, base }: { table: Table; base: string }) => (
  <>
    <p class="intro">{EVENTS_INTRO}</p>
    <LiveTable id="events" table={table} live={liveUrl(base, 'events')} empty="No tracker event yet: install the script tag and open a page of the shop." />
  </>
);

export const RejectionsSection = ({ table, base }: { table: Table; base: string }) => (
  <>
    <p class="intro">{REJECTIONS_INTRO}</p>
    <LiveTable id="rejections" table={table} live={liveUrl(base, 'rejections')} empty="Nothing refused." />
  </>
);

export const OrdersPage = (p: { nav: Nav; table: Table; q: string }) => (
  <Layout title="Verify order upload" nav={p.nav}>
    <OrdersSection table={p.table} q={p.q} base="/dashboard" />
  </Layout>
);

export const EventsPage = (p: { nav: Nav; table: Table }) => (
  <Layout title="Recent events" nav={p.nav}>
    <EventsSection table={p.table} base="/dashboard" />
  </Layout>
);

export const RejectionsPage = (p: { nav: Nav; table: Table }) => (
  <Layout title="Rejected requests" nav={p.nav}>
    <RejectionsSection table={p.table} base="/dashboard" />
  </Layout>
);
