// Seed 000's tracker settings: the keys, GET mode, the order validation status, the GDPR bases
// and opt-in targets, custom fields, and (ours) the origins the tracker may send from, the daily
// quota, abandoned carts, and the opt-in / opt-out callbacks with their secret.
import { CodeBlock, CsrfInput, type Errors, FieldErrors, invalid, Notice } from '../components';
import { Layout, type Nav } from '../layout';
import { BLANK_CUSTOM_FIELD_ROWS, BLANK_STORE_ROWS, type SettingsValues } from '../settings-form';

function TextInput({ id, label, value, errors, hint }: { id: string; label: string; value: string; errors: Errors; hint?: string }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={id} value={value} autocomplete="off" spellcheck={false} {...invalid(errors, id)} />
      {hint ? <p class="hint">{hint}</p> : null}
      <FieldErrors id={id} errors={errors[id]} />
    </div>
  );
}

function OptinTarget({ name, label, values, errors }: { name: 'email_optin' | 'sms_optin'; label: string; values: SettingsValues; errors: Errors }) {
  const to = `gdpr_${name}_to`;
  const id = `gdpr_${name}_id`;
  const current = values[to as keyof SettingsValues] as string;
  return (
    <fieldset class="optin">
      <legend>{label}</legend>
      <div class="field">
        <label for={to}>Goes to</label>
        <select id={to} name={to} {...invalid(errors, to)}>
          <option value="" selected={current === ''}>
            Nowhere (off)
          </option>
          <option value="legal_basis" selected={current === 'legal_basis'}>
            A legal basis
          </option>
          <option value="consent" selected={current === 'consent'}>
            A consent
          </option>
        </select>
        <FieldErrors id={to} errors={errors[to]} />
      </div>
      <TextInput id={id} label="Its id" value={values[id as keyof SettingsValues] as string} errors={errors} />
    </fieldset>
  );
}

export interface SettingsPageProps {
  nav: Nav;
  csrf: string;
  publicKey: string;
  values: SettingsValues;
  errors?: Errors;
  saved?: boolean;
  /** The new private key, right after a rotation: shown this once. */
  newPrivateKey?: string;
  /** Right after a rotation: what became of the share links. */
  linksNotice?: string;
}

export function SettingsPage(p: SettingsPageProps) {
  const errors = p.errors ?? {};
  const v = p.values;
  const rows = [...v.custom_fields, ...Array.from({ length: BLANK_CUSTOM_FIELD_ROWS }, () => ({ id: '', name: '' }))];
  const stores = [...v.stores, ...Array.from({ length: BLANK_STORE_ROWS }, () => ({ id: '', name: '', currency: '' }))];
  return (
    <Layout title="Tracker settings" nav={p.nav}>
      {p.saved ? <Notice kind="ok">Settings saved. The tracker and the API apply them within 5 seconds.</Notice> : null}
      {Object.keys(errors).length ? <Notice kind="error">Nothing was saved: see the errors next to the fields.</Notice> : null}
      <section class="card" id="keys">
        <h2>API keys</h2>
        <p>
          Public key (in the script tag, and the user name of API calls): <code id="public-key">{p.publicKey}</code>
        </p>
        {p.newPrivateKey ? (
          <Notice kind="ok">
            <CodeBlock id="new-private-key" title="Your new private key, shown this once" code={p.newPrivateKey}>
              <p>Copy it into your shop's server configuration now. The old key is refused from now on here, and by every running Worker within 5 seconds.</p>
            </CodeBlock>
            <p id="share-links-after-rotation">{p.linksNotice}</p>
          </Notice>
        ) : (
          <p>The private key is stored only as a hash and cannot be shown. Rotate it to get a new one.</p>
        )}
        <form method="post" action="/dashboard/rotate" class="rotate">
          <CsrfInput token={p.csrf} />
          <div class="field">
            <label for="current_private_key">Current private key</label>
            <input id="current_private_key" name="current_private_key" type="password" required autocomplete="current-password" spellcheck={false} placeholder="sk_…" />
            <p class="hint">The one your shop's server uses now: an open dashboard alone cannot take the key from you.</p>
          </div>
          <label class="check">
            <input type="checkbox" name="keep_share_links" value="yes" /> Keep the share links (unticked, every share link is revoked: a rotation often means
            something leaked)
          </label>
          <label class="check">
            <input type="checkbox" name="confirm" value="yes" required /> The old private key stops working (at once here, within 5 seconds
            everywhere: update your shop's server), and other dashboard sessions end.
          </label>
          <button type="submit" class="danger">
            Rotate the private key
          </button>
        </form>
      </section>

      <form method="post" action="/dashboard/settings" class="card settings" novalidate>
        <CsrfInput token={p.csrf} />
        <FieldErrors id="form" errors={errors.form} />
        <h2>GET mode</h2>
        <div class="field">
          <label class="check">
            <input type="checkbox" id="get_mode" name="get_mode" checked={v.get_mode} {...invalid(errors, 'get_mode')} /> Take accounts, orders and
            opt-ins from the browser tracker
          </label>
          <p class="hint">Off: only page, product and cart events come from the browser; send orders from your server (PHP example).</p>
          <FieldErrors id="get_mode" errors={errors.get_mode} />
        </div>

        <h2>Order validation status</h2>
        <fieldset class="field" {...invalid(errors, 'order_validation_state')}>
          <legend>An order is validated from the state</legend>
          <label class="check">
            <input type="radio" name="order_validation_state" value="paid" checked={v.order_validation_state === 'paid'} /> Paid (20)
          </label>
          <label class="check">
            <input type="radio" name="order_validation_state" value="taken" checked={v.order_validation_state === 'taken'} /> Taken (10)
          </label>
          <FieldErrors id="order_validation_state" errors={errors.order_validation_state} />
        </fieldset>

        <h2>GDPR</h2>
        <p class="hint">The profile is put under the legal basis you name, with the status "accepted". Leave empty for none.</p>
        <TextInput id="gdpr_on_order" label="Legal basis on a new order" value={v.gdpr_on_order} errors={errors} />
        <TextInput id="gdpr_on_account" label="Legal basis on account creation" value={v.gdpr_on_account} errors={errors} />
        <OptinTarget name="email_optin" label="Email opt-ins" values={v} errors={errors} />
        <OptinTarget name="sms_optin" label="SMS opt-ins" values={v} errors={errors} />
        <p class="hint">Send opt-ins to a consent only if your collection of them is GDPR-compliant; otherwise choose a legal basis.</p>

        <h2>Custom fields</h2>
        <p class="hint">The ids your server and tracker send in data[custom_fields][ID]. Once one is declared, other ids are refused. Clear a row to remove it.</p>
        <FieldErrors id="custom_fields" errors={errors.custom_fields} />
        <div class="cf-rows">
          {rows.map((f, i) => (
            <div class="cf-row">
              <div class="field">
                <label for={`cf_id_${i}`}>Id</label>
                <input id={`cf_id_${i}`} name="cf_id" value={f.id} inputmode="numeric" autocomplete="off" {...invalid(errors, `cf-${i}`)} />
              </div>
              <div class="field">
                <label for={`cf_name_${i}`}>Name</label>
                <input id={`cf_name_${i}`} name="cf_name" value={f.name} autocomplete="off" {...invalid(errors, `cf-${i}`)} />
              </div>
              <FieldErrors id={`cf-${i}`} errors={errors[`cf-${i}`]} />
            </div>
          ))}
        </div>

        <h2>Stores</h2>
        <p class="hint">
          One shop with several stores (countries, channels)? Declare them: each order then names its store (data[store] from your server, data-store on the
          script tag or createTracker's store in the browser), and its amount is in that store's currency. With none declared, no store is sent. Clear a row to
          remove it.
        </p>
        <FieldErrors id="stores" errors={errors.stores} />
        <div class="cf-rows">
          {stores.map((st, i) => (
            <div class="cf-row">
              <div class="field">
                <label for={`store_id_${i}`}>Id</label>
                <input id={`store_id_${i}`} name="store_id" value={st.id} autocomplete="off" placeholder="fr" {...invalid(errors, `store-${i}`)} />
              </div>
              <div class="field">
                <label for={`store_name_${i}`}>Name</label>
                <input id={`store_name_${i}`} name="store_name" value={st.name} autocomplete="off" placeholder="Boutique FR" {...invalid(errors, `store-${i}`)} />
              </div>
              <div class="field">
                <label for={`store_currency_${i}`}>Currency</label>
                <input id={`store_currency_${i}`} name="store_currency" value={st.currency} autocomplete="off" placeholder="EUR" size={4} {...invalid(errors, `store-${i}`)} />
              </div>
              <FieldErrors id={`store-${i}`} errors={errors[`store-${i}`]} />
            </div>
          ))}
        </div>

        <h2>Automatic tags</h2>
        <p class="hint">Tags the Worker gives profiles by itself, in the same write as what earns them. Empty a tag's text to turn it off.</p>
        <TextInput
          id="auto_tag_registration"
          label="When an account is created"
          value={v.auto_tag_registration}
          errors={errors}
          hint="updateCustomer with an external_id or action=account, the browser's account event, a customers import"
        />
        <TextInput id="auto_tag_newsletter" label="When someone without an account opts in to email" value={v.auto_tag_newsletter} errors={errors} hint="a newsletter sign-up: an email opt-in, no account, no external_id" />
        <div class="field">
          <label class="check">
            <input type="checkbox" id="auto_tag_categories" name="auto_tag_categories" checked={v.auto_tag_categories} /> After an order, tag the customer with each
            line's category path (A/B/C gives A, B and C)
          </label>
          <FieldErrors id="auto_tag_categories" errors={errors.auto_tag_categories} />
        </div>

        <h2>Allowed origins</h2>
        <div class="field">
          <label for="allowed_origins">Shop origins the tracker may send from, one per line (none: any)</label>
          <textarea id="allowed_origins" name="allowed_origins" rows={4} spellcheck={false} placeholder="https://shop.example" {...invalid(errors, 'allowed_origins')}>
            {v.allowed_origins}
          </textarea>
          <FieldErrors id="allowed_origins" errors={errors.allowed_origins} />
        </div>

        <h2>Daily event quota</h2>
        <div class="field">
          <label for="daily_event_quota">Events the browser tracker may send per day (UTC); past it, they are refused until midnight</label>
          <input id="daily_event_quota" name="daily_event_quota" inputmode="numeric" value={v.daily_event_quota} autocomplete="off" {...invalid(errors, 'daily_event_quota')} />
          <FieldErrors id="daily_event_quota" errors={errors.daily_event_quota} />
        </div>

        <h2>Abandoned carts</h2>
        <div class="field">
          <label for="abandoned_cart_minutes">Minutes after which a cart that no order followed counts as abandoned (fires cart.abandoned); 0 turns it off, at most 1440</label>
          <input id="abandoned_cart_minutes" name="abandoned_cart_minutes" inputmode="numeric" value={v.abandoned_cart_minutes} autocomplete="off" {...invalid(errors, 'abandoned_cart_minutes')} />
          <FieldErrors id="abandoned_cart_minutes" errors={errors.abandoned_cart_minutes} />
        </div>

        <h2>Opt-in callbacks</h2>
        <p class="hint">
          Your shop platform's callback URLs (as IdoSell gives SALESmanago): when an email or SMS opt-in turns yes, the first is posted the person's email, mobile,
          channel and the secret; when it turns no, the second. Your platform changes an opt-in here by posting key (your public key), secret, and email or
          mobile to /callback/optin or /callback/optout on this Worker.
        </p>
        <TextInput id="optin_callback_url" label="Opt-in callback URL" value={v.optin_callback_url} errors={errors} hint="https, on a public host; empty: none" />
        <TextInput id="optout_callback_url" label="Opt-out callback URL" value={v.optout_callback_url} errors={errors} hint="https, on a public host; empty: none" />
        <TextInput
          id="callback_secret"
          label="Security parameter (callback secret)"
          value={v.callback_secret}
          errors={errors}
          hint="1 to 16 characters, no spaces, the same as on your platform's side. Needed while a callback URL is set; without it, no callback is taken."
        />
        <button type="submit">Save settings</button>
      </form>
    </Layout>
  );
}
