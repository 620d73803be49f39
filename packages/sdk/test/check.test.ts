// The browser checker and the server's checkKind must agree on every value of this corpus, but
// for the deliberate differences listed in LIGHTER and STRICTER.
import { checkKind, EVENTS, type EventType, ITEM_FIELDS, type Kind, PRODUCT_FIELDS, PROFILE_FIELDS } from '@shopbeacon/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkEvent, checkValue } from '../src/check';
import { code } from '../src/tables';
import { createTracker } from '../src/index';
import { freshKey, openPage, order, settle } from './helpers';

const long = (n: number, c = 'a') => c.repeat(n);

/** Values per kind, good and bad, each run through both checkers. */
const CORPUS: Record<Kind['t'], unknown[]> = {
  text: ['John', 'line 1\nline 2\ttab', '', long(255), long(256), 'bell\u0007', 'del\u007f', 42, 1.5, true, null, {}, [], ['a'], NaN, Infinity],
  email: ['john@doe.com', ' John@Doe.COM ', "o'brien+tag@sub.example.co.uk", 'a@b', 'a@b.', 'john.doe.com', '@doe.com', 'john@', 'jo hn@doe.com', 'john@doe_com.fr', `${long(250)}@b.co`, 5, null],
  id: ['0000001', 'abc', 12345, ' x ', '   ', '', long(128), long(129), 'a\u0000b', {}],
  cookie: ['AbCdEfGhIjKlMnOpQrStUv', 'a.b-c_d1', 'short', long(128), long(129), 'has space in it', 12345678, 1234567],
  enum: ['male', 'female', 'Male', 'other', '', 1],
  optin: [1, 0, -1, '1', '0', '-1', 2, '01', true, 'yes', 1.0, -0],
  lang: ['fr', 'fr_FR', 'fr-FR', 'zh-Hant-TW', 'f', 'french language', 'fr__FR', 12],
  country: ['FR', 'fr', 'DE', 'F', 'FRA', '12', 33],
  date: ['2019-06-05', '2019-6-5', '2019-13-01', '2019-00-10', '2019-01-32', '0999-01-01', '1000-01-01', '2019-06-05 10:00:00', 20190605, '2020-02-29'],
  datetime: ['2014-06-21 14:31:08', '2014-06-21T14:31:08', '2014-06-21 24:00:00', '2014-06-21 23:60:00', '2014-06-21 23:59:59', '2014-06-21', '2014-13-21 10:00:00'],
  state: [0, 10, 20, 50, 100, '20', '020', 30, -10, 'paid', 20.0, 'toString', 'constructor'],
  // a JSON number of any precision is taken (the server rounds it to 8 decimals), a string is not
  amount: [158.31, '158.31', 0, -0, '0.00', 1e12, 1e12 + 1, '1000000000000.5', '158,31', '-1', -1, '1e3', 1e21, 0.1 + 0.2, 12.123456789, '12.123456789', 1e-9, '€12', Infinity, NaN, true, [1]],
  number: [4.5, '4.5', 0, -1, 'abc', 1e13, 4.123456789, '4.123456789', NaN],
  quantity: [1, '2', 999999, 1000000, 0, 1.5, '01', -1],
  currency: ['EUR', 'eur', 'EU', 'EURO', 978],
  url: ['https://shop.example/p?q=1', 'http://localhost:8787/', 'ftp://x.example/', 'javascript:alert(1)', '/relative', 'not a url', `https://e.x/${long(2048)}`, 5],
  tags: [['vip', 'newsletter'], 'vip', [], ['a', ''], ['   '], [long(100)], [long(101)], Array(101).fill('t'), [1, 2], [['nested']], 5, null],
  attributes: [[['size:xl', 'type:shirt'], ['size:s']], [], '', [[]], ['size:xl'], 'size:xl', [['size']], [[':xl']], [['a:' + long(198)]], [['a:' + long(199)]], [Array(51).fill('k:v')], 5],
  custom_fields: [{ 327: 'gold' }, { 327: '' }, { 327: null }, { 327: 12 }, { abc: 'x' }, { '0327': 'x' }, { 327: long(1001) }, { 327: { x: 1 } }, [], 'x', {}],
  items: [[{ product_id: 'P1', quantity: 2, unit_price: '9.90' }], [{ sku: 'S1' }], [{ name: 'no id' }], [{ product_id: 'P1', colour: 'red' }], [{ sku: 'S1', quantity: 0 }], [], 'P1', [null], [{ product_id: '', sku: 'S' }]],
};

const KINDS: Record<Kind['t'], Kind> = {
  text: { t: 'text', max: 255 },
  email: { t: 'email' },
  id: { t: 'id' },
  cookie: { t: 'cookie' },
  enum: { t: 'enum', of: ['male', 'female'] },
  optin: { t: 'optin' },
  lang: { t: 'lang' },
  country: { t: 'country' },
  date: { t: 'date' },
  datetime: { t: 'datetime' },
  state: { t: 'state' },
  amount: { t: 'amount' },
  number: { t: 'number' },
  quantity: { t: 'quantity' },
  currency: { t: 'currency' },
  url: { t: 'url' },
  tags: { t: 'tags' },
  attributes: { t: 'attributes' },
  custom_fields: { t: 'custom_fields' },
  items: { t: 'items' },
};

/** Values the browser lets through and the server refuses: the server has the last word. */
const LIGHTER: [Kind['t'], unknown][] = [
  ['country', 'XX'], // two letters, not the ISO 3166-1 list (the list alone is ~500 B)
  ['date', '2019-02-30'], // month and day ranges, not each month's length
  ['email', 'john@-doe.com'], // domain labels: no check of edge hyphens or 63 characters
];
/** Values the server takes and the browser refuses: lists are arrays in a browser, not PHP's {0:…} objects. */
const STRICTER: [Kind['t'], unknown][] = [
  ['tags', { 0: 'a', 1: 'b' }],
  ['attributes', { 0: ['size:xl'] }],
  ['items', { 0: { sku: 'S1' } }],
];

describe('browser checker agrees with the server on every kind', () => {
  for (const [t, values] of Object.entries(CORPUS) as [Kind['t'], unknown[]][]) {
    it(t, () => {
      const cases = [...values, ...LIGHTER.filter(([k]) => k == t).map(([, v]) => v), ...STRICTER.filter(([k]) => k == t).map(([, v]) => v)];
      for (const v of cases) {
        const server = checkKind(KINDS[t], v).ok;
        const browser = !checkValue(code(KINDS[t]), v, 'data[x]');
        const lighter = LIGHTER.some(([k, x]) => k == t && x === v);
        const stricter = STRICTER.some(([k, x]) => k == t && x === v);
        const expected = lighter ? [true, false] : stricter ? [false, true] : [server, server];
        expect([browser, server], `${t}: ${JSON.stringify(v)}`).toEqual(expected);
      }
    });
  }

  it('covers every kind the tables use', () => {
    const used = new Set(
      [...Object.values(EVENTS).flatMap((e) => Object.values(e.fields)), ...Object.values(ITEM_FIELDS)].map((k) => k.t),
    );
    expect([...used].sort()).toEqual(Object.keys(CORPUS).sort());
  });

  it('runs on the real tables: text lengths come from them', () => {
    expect(checkValue(code(PROFILE_FIELDS.customer_cp), long(33), 'data[customer_cp]')).toBe('data[customer_cp] must be text ≤ 32');
    expect(checkValue(code(PRODUCT_FIELDS.availability), long(64), 'x')).toBeFalsy();
  });
});

describe('event checks', () => {
  it('names each bad field, unknown fields and what is required', () => {
    expect(checkEvent('order', { ...order, order_amount: '158,31', order_ammount: 1, customer_gender: 'x' })).toEqual([
      'data[order_amount] must be a decimal ≥ 0',
      'data[order_ammount] is unknown',
      'data[customer_gender] must be one of male,female',
    ]);
    expect(checkEvent('order', { ...order, order_state: 30, order_crea_dt: '2014-06-21T14:31:08', customer_cp: 75001 })).toEqual([
      'data[order_state] must be one of 0,10,20,50,100',
      'data[order_crea_dt] must be Y-m-d H:i:s',
    ]);
    expect(checkEvent('order', { customer_email: 'a@b.co' })).toEqual([
      'data[order_idorder] is required',
      'data[order_state] is required',
      'data[order_amount] is required',
      'data[order_crea_dt] is required',
    ]);
    expect(checkEvent('account', { customer_firstname: 'J' })).toEqual(['data[customer_email|external_id] is required']);
    expect(checkEvent('optin', { customer_isoptin: 1 })).toEqual(['data[customer_email|customer_mobile] is required']);
    expect(checkEvent('optin', { customer_email: 'a@b.co' })).toEqual(['data[customer_isoptin|customer_mobile_isoptin] is required']);
    expect(checkEvent('product', { name: 'Shirt' })).toEqual(['data[product_id] is required']);
    expect(checkEvent('cart', { items: [{ sku: 'S', quantity: 0 }] })).toEqual(['data[items][0][quantity] must be a whole number ≥ 1']);
    expect(checkEvent('cart', { items: [{ name: 'x' }] })).toEqual(['data[items][0] needs product_id or sku']);
    expect(checkEvent('page', 'https://x.example/')).toEqual(['data must be an object']);
    expect(checkEvent('page', { constructor: 'x', toString: 'y' })).toEqual(['data[constructor] is unknown', 'data[toString] is unknown']);
  });

  it("requires one field of each group in protocol's EVENTS[type].required", () => {
    for (const [type, { required }] of Object.entries(EVENTS))
      expect(checkEvent(type as EventType, {}), type).toEqual(required.map((group) => `data[${group.join('|')}] is required`));
  });

  it('takes absent, null and "" as not sent, as the server does', () => {
    expect(checkEvent('account', { customer_email: 'a@b.co', customer_tel: '', customer_city: null, customer_cp: undefined })).toEqual([]);
    expect(checkEvent('account', { external_id: '', customer_email: null })).toEqual(['data[customer_email|external_id] is required']);
  });
});

describe('a bad event is not sent, with a warning naming the field', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('order with a comma decimal', async () => {
    const page = openPage();
    const t = createTracker({ key: freshKey(), endpoint: 'https://track.shop.example', autoPage: false });
    expect(t.order({ ...order, order_amount: '158,31' })).toBe(false);
    // @ts-expect-error: a field the contract does not have
    expect(t.product({ product_id: 'P1', colour: 'red' })).toBe(false);
    await settle();
    expect(page.sent).toEqual([]);
    expect(page.warnings).toEqual([
      'shopbeacon: order not sent: data[order_amount] must be a decimal ≥ 0',
      'shopbeacon: product not sent: data[colour] is unknown',
    ]);
  });
});
