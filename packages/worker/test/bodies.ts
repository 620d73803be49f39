// Request bodies as clients write them. Plain functions, no cloudflare:* import: the Worker's
// tests (through helpers.ts) and the benchmark (bench/cpu.ts, by way of fuzz-corpus.ts) share them.

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
