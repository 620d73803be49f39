import { env, exports } from 'cloudflare:workers';
import { createSite } from '../src/sites';

/** The Worker under test (its default export), called like a client would. */
export const SELF = (exports as unknown as { default: Fetcher }).default;

export interface TestSite {
  siteId: number;
  publicKey: string;
  privateKey: string;
  auth: string;
}

let n = 0;
export async function newSite(name = `shop ${++n}`): Promise<TestSite> {
  const site = await createSite(env.DB, name);
  return { ...site, auth: `Basic ${btoa(`${site.publicKey}:${site.privateKey}`)}` };
}

/** An http_build_query-style body, written the way PHP writes it (nested brackets, indices). */
export function phpQuery(value: unknown, prefix = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => phpQuery(v, prefix ? `${prefix}[${k}]` : k))
      .filter(Boolean)
      .join('&');
  }
  return `${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`;
}

export function post(site: TestSite, path: string, body: unknown, type: 'form' | 'json' = 'form') {
  return SELF.fetch(`https://tracker.test${path}`, {
    method: 'POST',
    headers: {
      authorization: site.auth,
      'content-type': type === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
    },
    body: type === 'form' ? phpQuery(body) : JSON.stringify(body),
  });
}

export const get = (site: TestSite, path: string) =>
  SELF.fetch(`https://tracker.test${path}`, { headers: { authorization: site.auth } });

export const put = (site: TestSite, path: string, body: unknown) =>
  SELF.fetch(`https://tracker.test${path}`, {
    method: 'PUT',
    headers: { authorization: site.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The seed's example order (spread-api-updateOrder.fr.txt), field for field. */
export const seedOrder = () => ({
  data: {
    customer_email: 'john@doe.com',
    external_id: '12345xxx6789',
    customer_cookie: 'c2J0LXRlc3QtY29va2ll',
    customer_name: 'Doe',
    customer_firstname: 'John',
    customer_isoptin: '1',
    customer_gender: 'male',
    customer_address: '8, rue de la place',
    customer_address2: 'bâtiment A',
    customer_address3: 'appartement 23',
    customer_cp: '76000',
    customer_city: 'Rouen',
    customer_country: 'FR',
    customer_tel: '0235000000',
    customer_mobile: '060606606',
    customer_fonction: 'developer',
    customer_company: 'SPREAD',
    customer_birthday: '1970-12-31',
    customer_lang: 'fr_FR',
    add_tag: ['tag1', 'tag2'],
    del_tag: ['tag3', 'tag4'],
    action: 'order',
    custom_fields: { 327: 'value' },
    order_idorder: '0000001',
    order_state: '10',
    order_amount: 158.31,
    order_crea_dt: '2014-06-21 14:31:08',
    order_start_service: '2019-06-05',
    order_end_service: '2019-06-14',
    product_attributes: [
      ['size:xl', 'type:shirt'],
      ['size:s', 'color:blue'],
    ],
    add_order_tag: ['tag_commande_1', 'tag_commande_2'],
    del_order_tag: ['tag_commande_3', 'tag_commande_4'],
  },
  request: { order_idorder: '0000001' },
});
