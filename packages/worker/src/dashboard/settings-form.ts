// The tracker settings as an HTML form: form values to the patch PUT /api/settings takes (the
// same updateSettings checks it), and its field errors back to the inputs they are about.
import type { FieldError } from '@shopbeacon/protocol';
import type { Settings } from '../settings';
import { type Form, list } from './forms';

export interface SettingsValues {
  get_mode: boolean;
  order_validation_state: string;
  gdpr_on_order: string;
  gdpr_on_account: string;
  gdpr_email_optin_to: string;
  gdpr_email_optin_id: string;
  gdpr_sms_optin_to: string;
  gdpr_sms_optin_id: string;
  custom_fields: { id: string; name: string }[];
  /** One origin per line. */
  allowed_origins: string;
  daily_event_quota: string;
  abandoned_cart_minutes: string;
  optin_callback_url: string;
  optout_callback_url: string;
  callback_secret: string;
  stores: { id: string; name: string; currency: string }[];
  /** The automatic tags' text (empty: off), and whether category paths tag the profile. */
  auto_tag_registration: string;
  auto_tag_newsletter: string;
  auto_tag_categories: boolean;
}

/** Blank custom field rows after the declared ones, to add fields without JavaScript. */
export const BLANK_CUSTOM_FIELD_ROWS = 3;
/** Blank store rows after the declared ones. */
export const BLANK_STORE_ROWS = 2;

export function valuesFromSettings(s: Settings): SettingsValues {
  return {
    get_mode: s.get_mode,
    order_validation_state: s.order_validation_state,
    gdpr_on_order: s.gdpr.on_order ?? '',
    gdpr_on_account: s.gdpr.on_account ?? '',
    gdpr_email_optin_to: s.gdpr.email_optin?.to ?? '',
    gdpr_email_optin_id: s.gdpr.email_optin?.id ?? '',
    gdpr_sms_optin_to: s.gdpr.sms_optin?.to ?? '',
    gdpr_sms_optin_id: s.gdpr.sms_optin?.id ?? '',
    custom_fields: s.custom_fields.map((f) => ({ id: String(f.id), name: f.name })),
    allowed_origins: s.allowed_origins.join('\n'),
    daily_event_quota: String(s.daily_event_quota),
    abandoned_cart_minutes: String(s.abandoned_cart_minutes),
    optin_callback_url: s.optin_callback_url ?? '',
    optout_callback_url: s.optout_callback_url ?? '',
    callback_secret: s.callback_secret ?? '',
    stores: s.stores.map((st) => ({ ...st })),
    auto_tag_registration: s.auto_tags.registration ?? '',
    auto_tag_newsletter: s.auto_tags.newsletter ?? '',
    auto_tag_categories: s.auto_tags.categories,
  };
}

const one = (v: Form[string] | undefined) => (typeof v === 'string' ? v : '');

/** What the form posted (parseBody with all: true), as values to re-render on error. */
export function valuesFromForm(form: Form): SettingsValues {
  const ids = list(form.cf_id);
  const names = list(form.cf_name);
  const rows = ids.map((id, i) => ({ id: id.trim(), name: (names[i] ?? '').trim() })).filter((r) => r.id || r.name);
  const storeNames = list(form.store_name);
  const currencies = list(form.store_currency);
  const stores = list(form.store_id)
    .map((id, i) => ({ id: id.trim(), name: (storeNames[i] ?? '').trim(), currency: (currencies[i] ?? '').trim().toUpperCase() }))
    .filter((r) => r.id || r.name || r.currency);
  return {
    get_mode: one(form.get_mode) === 'on',
    order_validation_state: one(form.order_validation_state),
    gdpr_on_order: one(form.gdpr_on_order).trim(),
    gdpr_on_account: one(form.gdpr_on_account).trim(),
    gdpr_email_optin_to: one(form.gdpr_email_optin_to),
    gdpr_email_optin_id: one(form.gdpr_email_optin_id).trim(),
    gdpr_sms_optin_to: one(form.gdpr_sms_optin_to),
    gdpr_sms_optin_id: one(form.gdpr_sms_optin_id).trim(),
    custom_fields: rows,
    allowed_origins: one(form.allowed_origins),
    daily_event_quota: one(form.daily_event_quota).trim(),
    abandoned_cart_minutes: one(form.abandoned_cart_minutes).trim(),
    optin_callback_url: one(form.optin_callback_url).trim(),
    optout_callback_url: one(form.optout_callback_url).trim(),
    // As typed: a space is refused (it would not survive the other side), not trimmed away.
    callback_secret: one(form.callback_secret),
    stores,
    auto_tag_registration: one(form.auto_tag_registration).trim(),
    auto_tag_newsletter: one(form.auto_tag_newsletter).trim(),
    auto_tag_categories: one(form.auto_tag_categories) === 'on',
  };
}

const origins = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

const target = (to: string, id: string) => (to ? { to, id } : null);

/** Empty: the default (null resets it); not a whole number: sent as typed, so the check names it. */
const wholeOrDefault = (v: string) => (v === '' ? null : /^\d{1,15}$/.test(v) ? Number(v) : v);

/** The whole settings as a patch: every setting is on the form, so every one is sent. */
export function patchFromValues(v: SettingsValues) {
  return {
    get_mode: v.get_mode,
    order_validation_state: v.order_validation_state,
    gdpr: {
      on_order: v.gdpr_on_order || null,
      on_account: v.gdpr_on_account || null,
      email_optin: target(v.gdpr_email_optin_to, v.gdpr_email_optin_id),
      sms_optin: target(v.gdpr_sms_optin_to, v.gdpr_sms_optin_id),
    },
    // An id that is not a whole number is sent as typed, so the check names it.
    custom_fields: v.custom_fields.map((f) => ({ id: /^\d{1,15}$/.test(f.id) ? Number(f.id) : f.id, name: f.name })),
    allowed_origins: origins(v.allowed_origins),
    daily_event_quota: wholeOrDefault(v.daily_event_quota),
    abandoned_cart_minutes: wholeOrDefault(v.abandoned_cart_minutes),
    // Empty: none (null removes it).
    optin_callback_url: v.optin_callback_url || null,
    optout_callback_url: v.optout_callback_url || null,
    callback_secret: v.callback_secret || null,
    stores: v.stores,
    auto_tags: { registration: v.auto_tag_registration || null, newsletter: v.auto_tag_newsletter || null, categories: v.auto_tag_categories },
  };
}

/** Settings with one input of their own, named as the setting. */
const SINGLE_INPUTS = ['get_mode', 'order_validation_state', 'daily_event_quota', 'abandoned_cart_minutes', 'optin_callback_url', 'optout_callback_url', 'callback_secret'];

/**
 * Field errors by input: "gdpr.email_optin.id" → gdpr_email_optin_id, "custom_fields[1].name"
 * → cf-1 (its row), "allowed_origins[2]" → allowed_origins (with the line's origin). Anything
 * else goes to "form", shown above the form.
 */
export function errorsByInput(errors: FieldError[], v: SettingsValues): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (input: string, reason: string) => (out[input] ??= []).push(reason);
  const lines = origins(v.allowed_origins);
  for (const { field, reason } of errors) {
    let m: RegExpExecArray | null;
    if (SINGLE_INPUTS.includes(field)) add(field, reason);
    else if ((m = /^gdpr\.(on_order|on_account)$/.exec(field))) add(`gdpr_${m[1]}`, reason);
    else if ((m = /^gdpr\.(email_optin|sms_optin)(?:\.(to|id))?$/.exec(field))) add(`gdpr_${m[1]}_${m[2] ?? 'to'}`, reason);
    else if ((m = /^custom_fields\[(\d+)\](?:\.(id|name))?$/.exec(field))) add(`cf-${m[1]}`, m[2] ? `${m[2] === 'id' ? 'Id' : 'Name'}: ${reason}` : reason);
    else if (field === 'custom_fields') add('custom_fields', reason);
    else if ((m = /^allowed_origins\[(\d+)\]$/.exec(field))) add('allowed_origins', `"${lines[Number(m[1])] ?? ''}" ${reason}`);
    else if (field === 'allowed_origins') add('allowed_origins', reason);
    else if ((m = /^stores\[(\d+)\](?:\.(id|name|currency))?$/.exec(field))) add(`store-${m[1]}`, m[2] ? `${m[2][0].toUpperCase()}${m[2].slice(1)}: ${reason}` : reason);
    else if (field === 'stores') add('stores', reason);
    else if ((m = /^auto_tags\.(registration|newsletter|categories)$/.exec(field))) add(`auto_tag_${m[1]}`, reason);
    else add('form', `${field}: ${reason}`);
  }
  return out;
}
