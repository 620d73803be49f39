// The server API's body, from PHP's http_build_query or JSON: profile and order fields come
// mixed in data[...], and the order's id may come in request[...] as the seed's client sends it.
import { type Checked, checkFields, type FieldError, missingFields } from './check-fields';
import { EVENTS } from './events';
import { type Order, PROFILE_FIELDS, type Profile, SERVER_ORDER_FIELDS as ORDER_FIELDS } from './fields';
import { isPlainObject } from './kinds';

export interface UpdateInput {
  profile: Profile;
  order?: Order;
}

const ORDER_NAMES = Object.keys(ORDER_FIELDS);
const BOTH = { ...PROFILE_FIELDS, ...ORDER_FIELDS };

function checkTagPairs(values: Record<string, unknown>, add: string, del: string, errors: FieldError[]) {
  const added = values[add] as string[] | undefined;
  const removed = values[del] as string[] | undefined;
  const both = added?.filter((t) => removed?.includes(t)) ?? [];
  if (both.length) errors.push({ field: `data[${del}]`, reason: `tag "${both[0]}" is both added and removed` });
}

/**
 * The body of /api/updateOrder (mode 'order') or /api/updateCustomer (mode 'customer'):
 * `{ data: {...fields}, request: { order_idorder } }`, from JSON or from PHP's http_build_query.
 */
export function checkUpdate(body: unknown, mode: 'order' | 'customer'): Checked<UpdateInput> {
  const errors: FieldError[] = [];
  const empty = { profile: {} } as UpdateInput;
  if (!isPlainObject(body)) return { values: empty, errors: [{ field: 'body', reason: 'must be an object with data (and request)' }] };
  for (const key of Object.keys(body)) {
    if (key !== 'data' && !(key === 'request' && mode === 'order'))
      errors.push({ field: key.slice(0, 64), reason: mode === 'order' ? 'unknown; the body has data[...] and request[...]' : 'unknown; the body has data[...]' });
  }
  if (!Object.hasOwn(body, 'data')) {
    errors.push({ field: 'data', reason: 'is required: the profile and order fields go in data[...]' });
    return { values: empty, errors };
  }
  const checked =
    mode === 'order'
      ? checkFields<Record<string, unknown>>(body.data, BOTH, 'data')
      : checkFields<Record<string, unknown>>(body.data, PROFILE_FIELDS, 'data', {
          names: ORDER_NAMES,
          hint: 'order fields are taken by /api/updateOrder, not /api/updateCustomer',
        });
  errors.push(...checked.errors);
  const values = checked.values;

  const profile: Record<string, unknown> = {};
  const order: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) (Object.hasOwn(ORDER_FIELDS, k) ? order : profile)[k] = v;

  const dataFields = isPlainObject(body.data) ? body.data : {};
  const sent = (name: string) => dataFields[name] !== undefined && dataFields[name] !== null && dataFields[name] !== '';
  checkTagPairs(values, 'add_tag', 'del_tag', errors);

  if (mode === 'customer') {
    errors.push(...missingFields(EVENTS.account.required, sent, 'data'));
    return { values: { profile: profile as Profile }, errors };
  }

  if (body.request !== undefined) {
    const request = checkFields<{ order_idorder?: string }>(body.request, { order_idorder: ORDER_FIELDS.order_idorder }, 'request');
    errors.push(...request.errors);
    const fromRequest = request.values.order_idorder;
    if (fromRequest !== undefined) {
      if (order.order_idorder === undefined && !sent('order_idorder')) order.order_idorder = fromRequest;
      else if (order.order_idorder !== undefined && order.order_idorder !== fromRequest)
        errors.push({
          field: 'request[order_idorder]',
          reason: `names order "${fromRequest.slice(0, 64)}" but data[order_idorder] is "${String(order.order_idorder).slice(0, 64)}"`,
        });
    }
  }
  const idFromRequest = order.order_idorder !== undefined || errors.some((e) => e.field === 'request[order_idorder]');
  errors.push(...missingFields(EVENTS.order.required, (name) => sent(name) || (name === 'order_idorder' && idFromRequest), 'data'));
  checkTagPairs(values, 'add_order_tag', 'del_order_tag', errors);
  return { values: { profile: profile as Profile, order: order as Order }, errors };
}
