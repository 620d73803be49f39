// The public types come from the wire contract's tables.
import type { ItemInput, OrderInput, ProfileInput } from '@shopbeacon/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type { EventData, Tracker } from '../src/index';

describe('types', () => {
  it('account and order data are protocol’s ProfileInput and OrderInput (+ items)', () => {
    expectTypeOf<EventData['account']>().toEqualTypeOf<ProfileInput>();
    expectTypeOf<EventData['order']>().toExtend<OrderInput & { items?: ItemInput[] }>();
    expectTypeOf<OrderInput & { items?: ItemInput[] }>().toExtend<EventData['order']>();
  });

  it('each method takes its event data', () => {
    expectTypeOf<Tracker['cart']>().parameter(0).toEqualTypeOf<EventData['cart']>();
    expectTypeOf<EventData['cart']>().toHaveProperty('cart_recovery_url').toEqualTypeOf<string | undefined>();
    expectTypeOf<EventData['product']>().toHaveProperty('rating_value').toEqualTypeOf<number | string | undefined>();
    expectTypeOf<EventData['optin']>().toHaveProperty('customer_isoptin').toEqualTypeOf<1 | 0 | -1 | '1' | '0' | '-1' | undefined>();
    // @ts-expect-error: not a page field
    const bad: EventData['page'] = { href: 'x' };
    void bad;
  });
});
