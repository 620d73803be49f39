import { describe, expect, it, vi } from 'vitest';
import { freshKey, openPage, order, settle, testTracker } from './helpers';

const tracker = testTracker;
const types = async (page: ReturnType<typeof openPage>) => (await page.batches()).map((b) => b.events.map((e) => e.type));

describe("consent: 'required'", () => {
  it('sets no cookie, stores nothing and sends nothing until consent is known', async () => {
    const page = openPage();
    const t = tracker({ consent: 'required' });
    expect(t.page()).toBe(true);
    expect(t.order(order)).toBe(true);
    t.flush();
    dispatchEvent(new Event('pagehide'));
    await settle(10_000);
    expect(page.sent).toEqual([]);
    expect(document.cookie).toBe('');
    expect(localStorage.length).toBe(0);

    t.consent({ analytics: true, functional: true, targeting: false });
    expect(document.cookie).toMatch(/^sbt=[\w-]{22}$/);
    await settle();
    const batches = await page.batches();
    expect(batches.map((b) => b.events.map((e) => e.type))).toEqual([['page', 'order']]);
    // the id used before consent is the one the cookie now holds
    expect(batches[0].events[0].sbt).toBe(document.cookie.slice(4));
  });

  it('with analytics and functional both refused, sets no cookie: essential events go with an id of this page only', async () => {
    const page = openPage();
    const t = tracker({ consent: 'required' });
    t.order(order);
    t.consent({ analytics: false, functional: false });
    await settle();
    expect(document.cookie).toBe('');
    const [batch] = await page.batches();
    expect(batch.events.map((e) => e.type)).toEqual(['order']);
    expect(batch.events[0].sbt).toMatch(/^[\w-]{22}$/);
  });

  it('a returning visitor who refuses analytics and functional loses the cookie: events carry an id of this page only', async () => {
    const page = openPage();
    document.cookie = 'sbt=returning_visitor_0123; path=/; domain=shop.example';
    const t = tracker({ consent: 'required' });
    t.order(order);
    t.consent({ analytics: false, functional: false });
    expect(document.cookie).toBe('');
    t.optin({ customer_email: 'a@b.co', customer_isoptin: 1 });
    await settle();
    const sbts = (await page.batches()).flatMap((b) => b.events.map((e) => e.sbt));
    expect(sbts).toHaveLength(2);
    expect(new Set(sbts).size).toBe(1);
    expect(sbts[0]).not.toBe('returning_visitor_0123');
    expect(sbts[0]).toMatch(/^[\w-]{22}$/);
  });

  it('drops waiting events whose category is refused, with a warning; essential ones still go', async () => {
    const page = openPage();
    const t = tracker({ consent: 'required' });
    t.page();
    t.cart({ items: [{ product_id: 'P1', quantity: 1 }] });
    t.order(order);
    t.consent({ analytics: false, functional: true });
    await settle();
    expect(await types(page)).toEqual([['cart', 'order']]);
    expect(page.warnings).toEqual(['shopbeacon: page not sent: no analytics consent']);
    // and later events of a refused category too
    t.product({ product_id: 'P1' });
    expect(page.warnings).toHaveLength(2);
  });

  it('a later "no" takes back what is still waiting to be sent', async () => {
    const page = openPage();
    const t = tracker();
    t.page();
    t.consent({ analytics: false, functional: false });
    await settle();
    expect(page.sent).toEqual([]);
  });
});

describe('without required consent', () => {
  it('sends essential, analytics and functional events', async () => {
    const page = openPage();
    const t = tracker();
    t.page();
    t.cart({ items: [{ sku: 'S', quantity: 1 }] });
    t.optin({ customer_email: 'a@b.co', customer_isoptin: 1 });
    await settle();
    expect(await types(page)).toEqual([['page', 'cart', 'optin']]);
    expect(document.cookie).toMatch(/^sbt=/);
  });
});

describe('Global Privacy Control and Do Not Track', () => {
  for (const [name, nav] of [
    ['GPC', { gpc: true }],
    ['DNT', { dnt: '1' }],
  ] as const) {
    it(`${name} turns analytics off (page, product), not essential or functional`, async () => {
      const page = openPage(undefined, nav);
      const t = tracker();
      t.page();
      t.product({ product_id: 'P1' });
      t.cart({ items: [{ sku: 'S', quantity: 1 }] });
      t.order(order);
      await settle();
      expect(await types(page)).toEqual([['cart', 'order']]);
      expect(page.warnings).toEqual([
        'shopbeacon: page not sent: no analytics consent',
        'shopbeacon: product not sent: no analytics consent',
      ]);
    });

    it(`${name} wins over a consent() that allows analytics`, async () => {
      const page = openPage(undefined, nav);
      const t = tracker({ consent: 'required' });
      t.page();
      t.consent({ analytics: true, targeting: true });
      await settle();
      expect(page.sent).toEqual([]);
    });

    it(`${name} is ignored when the shop turns honorGpc off`, async () => {
      const page = openPage(undefined, nav);
      tracker({ honorGpc: false }).page();
      await settle();
      expect(await types(page)).toEqual([['page']]);
    });
  }

  it('DNT "0" or unset changes nothing', async () => {
    const page = openPage(undefined, { dnt: '0', gpc: false });
    tracker().page();
    await settle();
    expect(await types(page)).toEqual([['page']]);
  });
});
