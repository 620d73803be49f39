// Webhook endpoints (issue 9, automations), as POST/GET/DELETE /api/webhooks has them: the site's
// endpoints and the events each gets, a form to add one, and for each the rotation of its
// signing secret and its removal (after a page that asks, since its delivery history goes with
// it). The secret is shown once, on the page the form redirects to (webhook-flash.ts).
import { TRIGGER_TYPES, WEBHOOKS_PER_SITE } from '../../automations/webhooks';
import type { listWebhooks } from '../../automations/webhooks';
import { ActionTable, CodeBlock, CsrfInput, type Errors, FieldErrors, invalid, Notice, PostButton } from '../components';
import { Layout, type Nav } from '../layout';
import { type Column, utc } from '../tables';
import { BLANK_WEBHOOK, type WebhookValues } from '../webhook-form';
import type { IssuedSecret } from '../webhook-flash';

type Webhook = Awaited<ReturnType<typeof listWebhooks>>[number];

/** Each trigger type in the merchant's words (the README's table of triggers). */
const EVENT_LABELS: Record<(typeof TRIGGER_TYPES)[number], string> = {
  'order.created': 'An order is received for the first time',
  'order.state_changed': "An order's state changes (taken, paid, sent, received, cancelled)",
  'order.amount_changed': "An order's amount changes",
  'profile.created': 'A customer profile is created',
  'profile.updated': "A customer's field, custom field or tags change (one per field)",
  'consent.updated': 'An opt-in, a consent or a legal basis changes',
  'cart.updated': "A visitor's cart changes (identifier abandoned_cart)",
  'cart.abandoned': 'A cart is abandoned (abandoned_cart_minutes without an order or a newer cart)',
  manual: 'Your server calls POST /api/triggers/:identifier',
};

/** The events an endpoint gets, as the table shows them. */
const eventsText = (events: string[]) => (events.includes('*') ? 'Every event' : events.join('\n'));

const COLUMNS: Column[] = [
  { key: 'url', label: 'Endpoint URL' },
  { key: 'events', label: 'Events' },
  { key: 'time', label: 'Added' },
  { key: 'time', label: 'Secret rotated' },
];

const cells = (w: Webhook) => [w.url, eventsText(w.events), utc(w.created_at), w.rotated_at ? utc(w.rotated_at) : 'never'];

function SecretNotice({ issued }: { issued: IssuedSecret }) {
  return (
    <Notice kind="ok">
      <CodeBlock id="webhook-secret" title={`${issued.rotated ? 'The new signing secret' : 'The signing secret'}, shown this once`} code={issued.secret}>
        <p>
          For <code id="webhook-secret-url">{issued.url}</code>.{' '}
          {issued.rotated ? 'The old secret no longer signs anything: every delivery from now on is signed with this one. ' : ''}
          Put it in your receiver's configuration now: it checks each delivery with it, with any Standard Webhooks library (for example{' '}
          <code>new Webhook(secret).verify(body, headers)</code> of the <code>standardwebhooks</code> npm package). It is not shown again: if you lose it,
          rotate it.
        </p>
      </CodeBlock>
    </Notice>
  );
}

/** Per endpoint: its secret's rotation, and the page that asks before a removal. */
const EndpointActions = ({ hook, csrf }: { hook: Webhook; csrf: string }) => (
  <>
    <PostButton action={`/dashboard/webhooks/${hook.id}/rotate`} csrf={csrf} label="Rotate secret" />
    <a class="button danger" href={`/dashboard/webhooks/${hook.id}/remove`}>
      Remove…
    </a>
  </>
);

function AddForm({ csrf, values, errors }: { csrf: string; values: WebhookValues; errors: Errors }) {
  const ticked = (type: string) => values.events.includes(type);
  return (
    <form method="post" action="/dashboard/webhooks" class="card webhook-add" novalidate>
      <h2>Add an endpoint</h2>
      <CsrfInput token={csrf} />
      <FieldErrors id="form" errors={errors.form} />
      <div class="field">
        <label for="url">Endpoint URL</label>
        <input id="url" name="url" type="url" inputmode="url" value={values.url} autocomplete="off" spellcheck={false} placeholder="https://hooks.your-shop.com/shopbeacon" {...invalid(errors, 'url')} />
        <p class="hint">{`Where your receiver (your email tool, your backend) takes the deliveries: https, on a public host name. At most ${WEBHOOKS_PER_SITE} endpoints.`}</p>
        <FieldErrors id="url" errors={errors.url} />
      </div>
      <fieldset class="field events" {...invalid(errors, 'events')}>
        <legend>Events to send</legend>
        <label class="check">
          <input type="checkbox" name="events" value="*" checked={ticked('*')} /> Every event, including types added later
        </label>
        {TRIGGER_TYPES.map((type) => (
          <label class="check">
            <input type="checkbox" name="events" value={type} checked={ticked(type)} /> <code>{type}</code> {EVENT_LABELS[type]}
          </label>
        ))}
        <FieldErrors id="events" errors={errors.events} />
      </fieldset>
      <button type="submit">Add the endpoint</button>
    </form>
  );
}

export interface WebhooksPageProps {
  nav: Nav;
  csrf: string;
  hooks: Webhook[];
  /** What the add form posted, when it is shown again with its errors. */
  values?: WebhookValues;
  errors?: Errors;
  /** The secret of the endpoint just added or rotated: shown this once. */
  issued?: IssuedSecret;
  removed?: boolean;
}

export function WebhooksPage(p: WebhooksPageProps) {
  const errors = p.errors ?? {};
  return (
    <Layout title="Webhooks" nav={p.nav}>
      <p class="intro">
        An endpoint receives your shop's changes as they happen: each order, customer, consent or cart change it subscribes to is posted to its URL, signed
        with its secret (Standard Webhooks). See what was sent, and send it again, on the <a href="/dashboard/deliveries">Deliveries</a> page.
      </p>
      {p.removed ? <Notice kind="ok">Endpoint removed: it gets no more deliveries.</Notice> : null}
      {Object.keys(errors).length ? <Notice kind="error">Nothing was added: see the errors next to the fields.</Notice> : null}
      {p.issued ? <SecretNotice issued={p.issued} /> : null}
      <h2>Endpoints</h2>
      {p.hooks.length ? (
        <>
          <ActionTable id="webhooks" columns={COLUMNS} rows={p.hooks} cells={cells} action="Rotate or remove" actions={(hook) => <EndpointActions hook={hook} csrf={p.csrf} />} />
          <p class="hint">Rotating a secret replaces it at once: deliveries signed with the new one fail your receiver's check until it has the new one (they are tried again).</p>
        </>
      ) : (
        <p class="empty">No endpoint yet: add the URL of your receiver below.</p>
      )}
      <AddForm csrf={p.csrf} values={p.values ?? BLANK_WEBHOOK} errors={errors} />
    </Layout>
  );
}

/** The step before a removal: what goes with the endpoint. */
export const RemoveWebhookPage = (p: { nav: Nav; csrf: string; hook: Webhook }) => (
  <Layout title="Remove this endpoint?" nav={p.nav}>
    <section class="card">
      <p>
        <code id="remove-url">{p.hook.url}</code>
      </p>
      <p>{`Events: ${eventsText(p.hook.events).replaceAll('\n', ', ')}.`}</p>
      <p>It gets no more deliveries, deliveries still being tried again stop, and its delivery history is deleted. This cannot be undone.</p>
      <div class="actions">
        <PostButton action={`/dashboard/webhooks/${p.hook.id}/remove`} csrf={p.csrf} label="Remove the endpoint" danger />
        <a href="/dashboard/webhooks">Keep it</a>
      </div>
    </section>
  </Layout>
);
