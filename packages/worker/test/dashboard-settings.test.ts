// The tracker settings form: each setting saved through updateSettings (what GET /api/settings
// then answers), and errors shown next to the field they are about, nothing saved.
import { describe, expect, it } from 'vitest';
import { loggedIn } from './dashboard-client';
import { get, newSite, type TestSite } from './helpers';

type Json = Record<string, any>;
const apiSettings = async (site: TestSite) => ((await (await get(site, '/api/settings')).json()) as Json).settings;

const FULL = {
  get_mode: 'on',
  order_validation_state: 'taken',
  gdpr_on_order: 'purchase',
  gdpr_on_account: 'contract',
  gdpr_email_optin_to: 'consent',
  gdpr_email_optin_id: 'newsletter',
  gdpr_sms_optin_to: 'legal_basis',
  gdpr_sms_optin_id: 'sms-marketing',
  cf_id: ['327', '', '12'],
  cf_name: ['Loyalty tier', '', 'Size'],
  allowed_origins: 'https://shop.example\r\n\r\nhttp://localhost:8788/\r\n',
  abandoned_cart_minutes: '30',
  optin_callback_url: ' https://shop.example/optin ',
  optout_callback_url: 'https://shop.example/optout',
  callback_secret: 'S3cret-16-chars!',
  store_id: ['fr', '', 'pl'],
  store_name: ['Boutique FR', '', 'Sklep PL'],
  store_currency: ['eur', '', 'PLN'],
  auto_tag_registration: 'rejestracja',
  auto_tag_newsletter: '',
  auto_tag_categories: 'on',
};

describe('the settings form', () => {
  it('saves every setting; the API answers them', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const res = await client.post('/dashboard/settings', { _csrf: await client.csrf(), ...FULL });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/settings?saved=1');
    expect(await apiSettings(site)).toEqual({
      get_mode: true,
      order_validation_state: 'taken',
      gdpr: { on_order: 'purchase', on_account: 'contract', email_optin: { to: 'consent', id: 'newsletter' }, sms_optin: { to: 'legal_basis', id: 'sms-marketing' } },
      custom_fields: [
        { id: 327, name: 'Loyalty tier' },
        { id: 12, name: 'Size' },
      ],
      allowed_origins: ['https://shop.example', 'http://localhost:8788'],
      daily_event_quota: 1_000_000,
      abandoned_cart_minutes: 30,
      optin_callback_url: 'https://shop.example/optin',
      optout_callback_url: 'https://shop.example/optout',
      callback_secret: 'S3cret-16-chars!',
      stores: [
        { id: 'fr', name: 'Boutique FR', currency: 'EUR' },
        { id: 'pl', name: 'Sklep PL', currency: 'PLN' },
      ],
      auto_tags: { registration: 'rejestracja', newsletter: null, categories: true },
    });
    const html = await (await client.get('/dashboard/settings?saved=1')).text();
    expect(html).toContain('Settings saved.');
    expect(html).toMatch(/<input type="checkbox" id="get_mode" name="get_mode" checked=""\/>/);
    expect(html).toMatch(/<input type="radio" name="order_validation_state" value="taken" checked=""\/> Taken \(10\)/);
    expect(html).toContain('<option value="consent" selected="">');
    expect(html).toContain('value="Loyalty tier"');
    expect(html).toContain('https://shop.example\nhttp://localhost:8788</textarea>');
    expect(html).toContain('<input id="optin_callback_url" name="optin_callback_url" value="https://shop.example/optin"');
    expect(html).toContain('<input id="callback_secret" name="callback_secret" value="S3cret-16-chars!"');
    expect(html).toContain('<input id="store_currency_1" name="store_currency" value="PLN"');
    expect(html).toContain('<input id="auto_tag_registration" name="auto_tag_registration" value="rejestracja"');

    // And back off: unchecked, emptied, cleared.
    const off = await client.post('/dashboard/settings', { _csrf: await client.csrf(), order_validation_state: 'paid', gdpr_email_optin_id: 'ignored', cf_id: [''], cf_name: [''], allowed_origins: '' });
    expect(off.status).toBe(303);
    expect(await apiSettings(site)).toEqual({
      get_mode: false,
      order_validation_state: 'paid',
      gdpr: { on_order: null, on_account: null, email_optin: null, sms_optin: null },
      custom_fields: [],
      allowed_origins: [],
      daily_event_quota: 1_000_000,
      abandoned_cart_minutes: 60,
      optin_callback_url: null,
      optout_callback_url: null,
      callback_secret: null,
      stores: [],
      auto_tags: { registration: null, newsletter: null, categories: false },
    });
  });

  it('shows each error next to its field, keeps what was typed, and saves nothing', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const res = await client.post('/dashboard/settings', {
      _csrf: await client.csrf(),
      ...FULL,
      gdpr_on_order: 'not a basis',
      gdpr_email_optin_id: '',
      cf_id: ['327', 'abc', '327'],
      cf_name: ['Tier', 'Size', ''],
      allowed_origins: 'https://shop.example\nshop.example/path',
      abandoned_cart_minutes: '2000',
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    const errorOf = (id: string) => new RegExp(`<p class="field-error" id="err-${id}">([^<]*)</p>`).exec(html)?.[1];
    expect(html).toContain('Nothing was saved');
    expect(errorOf('gdpr_on_order')).toMatch(/must be empty \(off\) or a legal basis id/);
    expect(html).toMatch(/<input id="gdpr_on_order" name="gdpr_on_order" value="not a basis" autocomplete="off" spellcheck="false" aria-invalid="true" aria-describedby="err-gdpr_on_order"\/>/);
    expect(errorOf('gdpr_email_optin_id')).toMatch(/must be a legal basis or consent id/);
    expect(errorOf('cf-1')).toBe('Id: must be a positive whole number');
    expect(errorOf('cf-2')).toBe('Id: id 327 is declared twice; Name: must be a name of 1 to 100 characters');
    expect(errorOf('allowed_origins')).toBe('&quot;shop.example/path&quot; must be an origin: scheme, host and port only, like &quot;https://shop.example&quot;');
    expect(errorOf('abandoned_cart_minutes')).toBe('must be a whole number of minutes from 0 (off) to 1440');
    expect(errorOf('get_mode')).toBeUndefined();
    expect(html).toContain('value="abc"');
    expect((await apiSettings(site)).get_mode).toBe(false);
  });

  it('callback errors go next to their inputs: a secret too long, an http URL, a URL left without its secret', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const errorsOf = async (form: Record<string, string>) => {
      const res = await client.post('/dashboard/settings', { _csrf: await client.csrf(), order_validation_state: 'paid', ...form });
      expect(res.status).toBe(400);
      const html = await res.text();
      return [...html.matchAll(/<p class="field-error" id="err-([^"]+)">([^<]*)<\/p>/g)].map((m) => [m[1], m[2]]);
    };
    // The test deployment takes local receivers (WEBHOOKS_ALLOW_LOCAL=1): a URL that is none is still refused.
    expect(await errorsOf({ optin_callback_url: 'shop.example/optin', callback_secret: 'x'.repeat(17) })).toEqual([
      ['optin_callback_url', 'must be an https URL, like https://hooks.shop.example/shopbeacon'],
      ['callback_secret', 'must be 1 to 16 characters: letters, digits or punctuation, no spaces (null removes it)'],
    ]);
    expect(await errorsOf({ optout_callback_url: 'https://shop.example/optout' })).toEqual([
      ['callback_secret', 'is needed while optin_callback_url or optout_callback_url is set: the callbacks carry it'],
    ]);
    expect((await apiSettings(site)).optout_callback_url).toBeNull();
  });

  it('an unknown validation state is refused next to its radios', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const res = await client.post('/dashboard/settings', { _csrf: await client.csrf(), order_validation_state: 'shipped' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/<p class="field-error" id="err-order_validation_state">must be &quot;paid&quot;/);
  });

  it('"registered" (the radio\'s value on a settings page loaded before it was "taken") saves "taken"', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const res = await client.post('/dashboard/settings', { _csrf: await client.csrf(), order_validation_state: 'registered' });
    expect(res.status).toBe(303);
    expect((await apiSettings(site)).order_validation_state).toBe('taken');
    const html = await (await client.get('/dashboard/settings')).text();
    expect(html).toContain('value="taken" checked=""');
    expect(html).not.toMatch(/registered/i);
  });
});
