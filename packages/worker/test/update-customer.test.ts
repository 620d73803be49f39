import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newSite, post, put } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

describe('POST /api/updateCustomer', () => {
  it('records a newsletter sign-up with the time of the opt-in', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateCustomer', { data: { customer_email: ' News@Letter.test ', customer_isoptin: '1' } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ ok: true, created: true, profile: { customer_email: 'news@letter.test', customer_isoptin: 1, source: 'api' } });
    expect(Date.parse(body.profile.customer_isoptin_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('keeps the opt-in time when the same choice is repeated, and moves it when the choice changes', async () => {
    const site = await newSite();
    const first = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 'a@b.test', customer_isoptin: 1 } }));
    await new Promise((r) => setTimeout(r, 5));
    const same = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 'a@b.test', customer_isoptin: 1 } }));
    expect(same.created).toBe(false);
    expect(same.profile.customer_isoptin_at).toBe(first.profile.customer_isoptin_at);
    await new Promise((r) => setTimeout(r, 5));
    const out = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 'a@b.test', customer_isoptin: 0, customer_mobile_isoptin: -1 } }));
    expect(out.profile.customer_isoptin).toBe(0);
    expect(Date.parse(out.profile.customer_isoptin_at)).toBeGreaterThan(Date.parse(first.profile.customer_isoptin_at));
    expect(out.profile.customer_mobile_isoptin).toBe(-1);
  });

  it('adds and removes tags in order, without duplicates', async () => {
    const site = await newSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 't@b.test', add_tag: ['a', 'b', 'c'] } });
    const res = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 't@b.test', add_tag: ['d', 'a', 'd'], del_tag: ['b', 'zzz'] } }));
    expect(res.profile.tags).toEqual(['a', 'c', 'd']);
  });

  it('merges custom fields by id and clears one sent empty', async () => {
    const site = await newSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'c@b.test', custom_fields: { 327: 'gold', 328: 'x' } } });
    const res = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 'c@b.test', custom_fields: { 328: '', 329: 7 } } }));
    expect(res.profile.custom_fields).toEqual({ 327: 'gold', 329: '7' });
  });

  it('updates only the fields sent', async () => {
    const site = await newSite();
    await post(site, '/api/updateCustomer', { data: { external_id: 'E1', customer_name: 'Doe', customer_city: 'Rouen' } });
    const res = await json(await post(site, '/api/updateCustomer', { data: { external_id: 'E1', customer_city: 'Lyon', customer_cookie: 'sbt-cookie-0001' } }));
    expect(res.profile).toMatchObject({ external_id: 'E1', customer_name: 'Doe', customer_city: 'Lyon', customer_cookie: 'sbt-cookie-0001' });
  });

  it('refuses order fields, pointing at updateOrder', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateCustomer', { data: { customer_email: 'a@b.test', order_idorder: '1' }, request: { order_idorder: '1' } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([
      { field: 'request', reason: 'unknown; the body has data[...]' },
      { field: 'data[order_idorder]', reason: 'order fields are taken by /api/updateOrder, not /api/updateCustomer' },
    ]);
  });

  it('needs customer_email or external_id', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateCustomer', { data: { customer_name: 'Doe' } });
    expect((await json(res)).error.fields).toEqual([
      { field: 'data[customer_email]', reason: 'customer_email or external_id is required' },
    ]);
  });

  it('puts opt-ins under the consent or legal basis the settings name, and account creations under theirs', async () => {
    const site = await newSite();
    await put(site, '/api/settings', {
      gdpr: { email_optin: { to: 'consent', id: 'newsletter' }, sms_optin: { to: 'legal_basis', id: 'sms' }, on_account: 'contract' },
    });
    const res = await json(
      await post(site, '/api/updateCustomer', { data: { customer_email: 'g@b.test', customer_isoptin: 1, customer_mobile_isoptin: 0, action: 'account' } }),
    );
    const at = expect.stringMatching(/^\d{4}-/);
    expect(res.profile.gdpr).toEqual({
      consents: { newsletter: { status: 'accepted', at, source: 'api', reason: 'email_optin' } },
      legal_bases: { sms: { status: 'refused', at, source: 'api', reason: 'sms_optin' }, contract: { status: 'accepted', at, source: 'api', reason: 'account' } },
    });
    // Unsubscribing moves the consent to refused; repeating a choice changes nothing.
    const later = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 'g@b.test', customer_isoptin: 0, customer_mobile_isoptin: 0, action: 'account' } }));
    expect(later.profile.gdpr.consents.newsletter.status).toBe('refused');
    expect(later.profile.gdpr.legal_bases.sms).toEqual(res.profile.gdpr.legal_bases.sms);
    expect(later.profile.gdpr.legal_bases.contract).toEqual(res.profile.gdpr.legal_bases.contract);
  });

  it('leaves the GDPR state alone when the settings send opt-ins nowhere', async () => {
    const site = await newSite();
    const res = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 'n@b.test', customer_isoptin: 1, action: 'account' } }));
    expect(res.profile.gdpr).toEqual({});
    const row = await env.DB.prepare('SELECT isoptin FROM profiles WHERE site_id = ?').bind(site.siteId).first();
    expect(row).toEqual({ isoptin: 1 });
  });
});
