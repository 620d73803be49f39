// The checker as the script tag (/sdk.js) has it: CHECK_VALUES false (rollup.config.mjs), so it
// checks field names and required fields, and leaves values to the Worker. check.test.ts tests
// the checker with every value check, as /sdk.debug.js and the npm build have it.
import { EVENTS, type EventType } from '@shopbeacon/protocol';
import { describe, expect, it, vi } from 'vitest';
import { checkEvent } from '../src/check';
import { createTracker } from '../src/index';
import { freshKey, openPage, order, settle } from './helpers';

vi.mock('../src/flags', () => ({ CHECK_VALUES: false }));

describe("the script tag's checker: names and required fields", () => {
  it('names unknown fields, missing required fields and data that is not an object', () => {
    expect(checkEvent('order', { ...order, order_ammount: 1 })).toEqual(['data[order_ammount] is unknown']);
    expect(checkEvent('order', { customer_email: 'a@b.co' })).toEqual([
      'data[order_idorder] is required',
      'data[order_state] is required',
      'data[order_amount] is required',
      'data[order_crea_dt] is required',
    ]);
    expect(checkEvent('page', 'https://x.example/')).toEqual(['data must be an object']);
    expect(checkEvent('page', { constructor: 'x' })).toEqual(['data[constructor] is unknown']);
    for (const [type, { required }] of Object.entries(EVENTS))
      expect(checkEvent(type as EventType, {}), type).toEqual(required.map((group) => `data[${group.join('|')}] is required`));
  });

  it('lets bad values through: the Worker refuses them, naming the field', () => {
    expect(checkEvent('order', { ...order, order_amount: '158,31', order_state: 30, customer_gender: 'x', order_crea_dt: '2014-06-21T14:31:08' })).toEqual([]);
    expect(checkEvent('optin', { customer_email: 'not an email', customer_isoptin: 2 })).toEqual([]);
    // nor does it look into the lines of a cart
    expect(checkEvent('cart', { items: [{ colour: 'red' }] })).toEqual([]);
  });
});

describe('data the browser cannot send', () => {
  it('a BigInt or a cycle is refused with a warning, never thrown into the shop\'s code', async () => {
    const page = openPage();
    const t = createTracker({ key: freshKey(), endpoint: 'https://track.shop.example', autoPage: false });
    const cycle: Record<string, unknown> = { product_id: 'P1' };
    cycle.name = { cycle };
    // @ts-expect-error: not JSON
    expect(t.product({ product_id: 'P1', unit_price: 10n })).toBe(false);
    expect(t.product(cycle as { product_id: string })).toBe(false);
    expect(t.product({ product_id: 'P2' })).toBe(true);
    await settle();
    expect(page.warnings).toEqual(['shopbeacon: product not sent: data is not JSON', 'shopbeacon: product not sent: data is not JSON']);
    expect((await page.batches()).flatMap((b) => b.events.map((e) => e.data.product_id))).toEqual(['P2']);
  });
});
