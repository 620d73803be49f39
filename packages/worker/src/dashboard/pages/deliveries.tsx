// The deliveries (issue 9, automations), as GET /api/deliveries/recent has them: what was posted
// to which endpoint and how it went, so a merchant can see why their email tool missed an
// order, and send a delivery again (the same webhook-id: a receiver drops what it already has).
import { RETRY_DELAYS_S } from '../../automations/deliver';
import { RECENT_DELIVERIES_LIMIT, type recentDeliveries } from '../../automations/deliveries';
import { ActionTable, Notice, PostButton } from '../components';
import { Layout, type Nav } from '../layout';
import { type Column, utc } from '../tables';

type Delivery = Awaited<ReturnType<typeof recentDeliveries>>[number];

const ATTEMPTS = RETRY_DELAYS_S.length + 1;
const RETRY_HOURS = Math.round(RETRY_DELAYS_S.reduce((a, b) => a + b, 0) / 3600);

const INTRO = `The last ${RECENT_DELIVERIES_LIMIT} deliveries, newest first: each change an endpoint subscribes to, posted to it. One that does not get a 2xx answer is tried again, ${ATTEMPTS} attempts over about ${RETRY_HOURS} hours, then marked failed.`;

const COLUMNS: Column[] = [
  { key: 'trigger', label: 'Trigger' },
  { key: 'url', label: 'Endpoint URL' },
  { key: 'status', label: 'Status', badge: true },
  { key: 'attempts', label: 'Attempts' },
  { key: 'answer', label: 'Last answer' },
  { key: 'error', label: 'Last error' },
  { key: 'time', label: 'Last attempt' },
];

/** The endpoint's last HTTP status; "no answer" after a timeout or a network error. */
const answer = (d: Delivery) => (d.last_status !== null ? String(d.last_status) : d.attempts ? 'no answer' : '—');

const cells = (d: Delivery) => [
  [d.trigger.type, d.trigger.identifier, d.trigger.id].filter(Boolean).join('\n'),
  d.endpoint.url,
  d.status,
  String(d.attempts),
  answer(d),
  d.last_error ?? '',
  d.last_at ? utc(d.last_at) : 'not yet',
];

/** With no endpoint there is nothing to deliver to: say where to add one. */
const Empty = ({ hasEndpoints }: { hasEndpoints: boolean }) =>
  hasEndpoints ? (
    <p class="empty">No delivery yet. Your endpoints get the next change they subscribe to: place a test order or update a customer, then reload this page.</p>
  ) : (
    <p class="empty">
      No delivery yet: there is no endpoint to deliver to. <a href="/dashboard/webhooks">Add a webhook endpoint</a> (your email tool's or your backend's URL),
      then the changes it subscribes to are posted to it and listed here.
    </p>
  );

export const DeliveriesPage = (p: { nav: Nav; csrf: string; deliveries: Delivery[]; hasEndpoints: boolean; sent?: boolean }) => (
  <Layout title="Deliveries" nav={p.nav}>
    <p class="intro">{INTRO}</p>
    {p.sent ? <Notice kind="ok">Queued to be sent again, with the same webhook-id. Reload this page in a few seconds to see how it went.</Notice> : null}
    {p.deliveries.length ? (
      <ActionTable
        id="deliveries"
        columns={COLUMNS}
        rows={p.deliveries}
        cells={cells}
        action="Send again"
        actions={(d) => <PostButton action={`/dashboard/deliveries/${d.id}/send-again`} csrf={p.csrf} label="Send again" />}
      />
    ) : (
      <Empty hasEndpoints={p.hasEndpoints} />
    )}
  </Layout>
);
