// Tracker settings of a site (seed 000, "Paramétrage > Tracker"): GET mode, the order state that
// validates an order, the GDPR bases applied on ingest, custom fields, allowed origins, and the
// opt-in / opt-out callbacks (automations/callbacks.ts).
// Stored as one JSON column on the site; every read goes through withDefaults.
import { type FieldError, isPlainObject, LIMITS } from '@shopbeacon/protocol';
import { callbackSecretMissing, checkCallbackSetting } from './automations/callbacks';
import { invalidFields, ProblemError } from './problem';
import { forgetSite } from './site-cache';
import { CONTROL_DB, siteDb } from './tenancy';
import type { Env } from './env';

export type GdprTarget = { to: 'legal_basis' | 'consent'; id: string };

export interface Settings {
  /** When on, the browser tracker may upload accounts and orders (seed 000, "mode GET"). */
  get_mode: boolean;
  /** An order is validated from state 20 (paid) or from state 10 (taken); 0 never. */
  order_validation_state: 'paid' | 'taken';
  gdpr: {
    /** Legal basis a profile is put under, status accepted, when it places a new order (null: off). */
    on_order: string | null;
    /** Same, when an account is created (`action=account`). */
    on_account: string | null;
    /** Where email opt-ins (customer_isoptin) go. */
    email_optin: GdprTarget | null;
    /** Where SMS opt-ins (customer_mobile_isoptin) go. */
    sms_optin: GdprTarget | null;
  };
  custom_fields: { id: number; name: string }[];
  allowed_origins: string[];
  /** Events /collect takes per UTC day; past it, 429 until midnight UTC. */
  daily_event_quota: number;
  /** Minutes after which a cart with items, not followed by an order or a newer cart, fires cart.abandoned (0: off). */
  abandoned_cart_minutes: number;
  /** Posted when an email or SMS opt-in turns 1, and turns 0 (automations/callbacks.ts). */
  optin_callback_url: string | null;
  optout_callback_url: string | null;
  /** The security parameter both ways: sent with each callback, required on /callback/*. */
  callback_secret: string | null;
  /** The site's stores (multistore): each order names one, and its currency is the store's. Empty: one shop, no store field. */
  stores: Store[];
  /** Tags given automatically: their text (null: off), and the category path of what was bought. */
  auto_tags: AutoTags;
}

export interface Store {
  id: string;
  name: string;
  currency: string;
}

export interface AutoTags {
  /** Given to a profile when an account is made for it (updateCustomer with an external_id or action=account, the browser's account event, a customers import). */
  registration: string | null;
  /** Given to a profile without an account when it opts in to email. */
  newsletter: string | null;
  /** After an order, each line's category path "A/B/C" tags the profile A, B and C (three levels at most). */
  categories: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
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
  auto_tags: { registration: 'registration', newsletter: 'newsletter', categories: true },
};

/** A store id: what URLs, script tags and CSV cells carry. */
export const STORE_ID = /^[a-z0-9_-]{1,32}$/;
export const MAX_STORES = 100;

/** ISO 4217 codes as the runtime's ICU knows them (Intl.supportedValuesOf), else any three capitals. */
const CURRENCIES: Set<string> | null = (() => {
  try {
    return new Set((Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('currency') ?? []);
  } catch {
    return null;
  }
})();
const isCurrency = (v: unknown): v is string => typeof v === 'string' && /^[A-Z]{3}$/.test(v) && (!CURRENCIES?.size || CURRENCIES.has(v));

/** The store of `id` among the site's, if it declares it. */
export const storeOf = (s: Settings, id: string | null | undefined) => (id == null ? undefined : s.stores.find((st) => st.id === id));

export const MAX_DAILY_EVENT_QUOTA = 100_000_000;
/** A day: the longest a cart waits before it counts as abandoned. */
export const MAX_ABANDONED_CART_MINUTES = 1_440;

/**
 * The values order_validation_state takes, by the name of their state in ORDER_STATES (what the
 * API's order_state_name and the dashboard say). "registered", the name the settings gave state
 * 10 at first, is still taken, and stored settings that say it read as "taken".
 */
const VALIDATION_STATES = new Map<unknown, Settings['order_validation_state']>([
  ['paid', 'paid'],
  ['taken', 'taken'],
  ['registered', 'taken'],
]);

function autoTagsOf(stored: Partial<AutoTags> | undefined): AutoTags {
  const t = { ...DEFAULT_SETTINGS.auto_tags, ...(stored ?? {}) };
  return { registration: t.registration || null, newsletter: t.newsletter || null, categories: t.categories };
}

export function withDefaults(stored: unknown): Settings {
  const s = isPlainObject(stored) ? (stored as Partial<Settings>) : {};
  const order_validation_state = VALIDATION_STATES.get(s.order_validation_state) ?? DEFAULT_SETTINGS.order_validation_state;
  return {
    ...DEFAULT_SETTINGS,
    ...s,
    order_validation_state,
    gdpr: { ...DEFAULT_SETTINGS.gdpr, ...(s.gdpr ?? {}) },
    auto_tags: autoTagsOf(s.auto_tags),
  };
}

/** The order state from which an order counts as validated. */
export const validationThreshold = (s: Settings) => (s.order_validation_state === 'taken' ? 10 : 20);
export const isValidated = (state: number, s: Settings) => state !== 0 && state >= validationThreshold(s);

// Ids of legal bases and consents end up in JSON paths ($.legal_bases."id"): keep them plain.
const GDPR_ID = /^[A-Za-z0-9_-]{1,64}$/;
const GDPR_ID_REASON = 'must be a legal basis or consent id: 1 to 64 letters, digits, "-" or "_"';

function checkTarget(v: unknown, field: string, errors: FieldError[]): GdprTarget | null | undefined {
  if (v === null) return null;
  if (!isPlainObject(v)) return void errors.push({ field, reason: 'must be null or { "to": "legal_basis" | "consent", "id": "…" }' });
  for (const k of Object.keys(v)) if (k !== 'to' && k !== 'id') errors.push({ field: `${field}.${k}`, reason: 'unknown setting' });
  if (v.to !== 'legal_basis' && v.to !== 'consent') errors.push({ field: `${field}.to`, reason: 'must be "legal_basis" or "consent"' });
  if (typeof v.id !== 'string' || !GDPR_ID.test(v.id)) errors.push({ field: `${field}.id`, reason: GDPR_ID_REASON });
  return { to: v.to as GdprTarget['to'], id: v.id as string };
}

function checkOrigin(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 200) return null;
  try {
    const url = new URL(v);
    const origin = url.origin;
    const given = v.toLowerCase();
    return (url.protocol === 'https:' || url.protocol === 'http:') && (given === origin || given === `${origin}/`) ? origin : null;
  } catch {
    return null;
  }
}

type Patch = Partial<Omit<Settings, 'gdpr' | 'daily_event_quota' | 'abandoned_cart_minutes' | 'auto_tags'>> & {
  gdpr?: Partial<Settings['gdpr']>;
  auto_tags?: Partial<AutoTags>;
  daily_event_quota?: number | null;
  abandoned_cart_minutes?: number | null;
};

/**
 * Checks a partial update (PUT /api/settings); unknown keys and bad values are errors.
 * `allowLocal`: callback URLs may be local (WEBHOOKS_ALLOW_LOCAL=1), as webhook endpoints.
 */
export function checkSettingsPatch(body: unknown, allowLocal = false): { patch: Patch; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const patch: Patch = {};
  if (!isPlainObject(body)) return { patch, errors: [{ field: 'body', reason: 'must be a JSON object of settings' }] };
  for (const [key, v] of Object.entries(body)) {
    switch (key) {
      case 'get_mode':
        if (typeof v === 'boolean') patch.get_mode = v;
        else errors.push({ field: key, reason: 'must be true or false' });
        break;
      case 'order_validation_state':
        if (VALIDATION_STATES.has(v)) patch.order_validation_state = VALIDATION_STATES.get(v);
        else errors.push({ field: key, reason: 'must be "paid" (validated from state 20) or "taken" (from state 10)' });
        break;
      case 'gdpr': {
        if (!isPlainObject(v)) {
          errors.push({ field: key, reason: 'must be an object' });
          break;
        }
        const gdpr: Patch['gdpr'] = {};
        for (const [g, gv] of Object.entries(v)) {
          const field = `gdpr.${g.slice(0, 64)}`;
          if (g === 'on_order' || g === 'on_account') {
            if (gv === null || (typeof gv === 'string' && GDPR_ID.test(gv))) gdpr[g] = gv;
            else errors.push({ field, reason: 'must be empty (off) or a legal basis id: 1 to 64 letters, digits, "-" or "_"' });
          } else if (g === 'email_optin' || g === 'sms_optin') {
            const t = checkTarget(gv, field, errors);
            if (t !== undefined) gdpr[g] = t;
          } else errors.push({ field, reason: 'unknown setting; gdpr has on_order, on_account, email_optin, sms_optin' });
        }
        patch.gdpr = gdpr;
        break;
      }
      case 'custom_fields': {
        if (!Array.isArray(v) || v.length > 200) {
          errors.push({ field: key, reason: 'must be a list of at most 200 { "id": 327, "name": "…" }' });
          break;
        }
        const seen = new Set<number>();
        v.forEach((f, i) => {
          const at = `custom_fields[${i}]`;
          if (!isPlainObject(f) || Object.keys(f).some((k) => k !== 'id' && k !== 'name'))
            return void errors.push({ field: at, reason: 'must be { "id": 327, "name": "…" }' });
          if (!Number.isSafeInteger(f.id) || (f.id as number) < 1 || (f.id as number) > 9_999_999_999)
            errors.push({ field: `${at}.id`, reason: 'must be a positive whole number' });
          else if (seen.has(f.id as number)) errors.push({ field: `${at}.id`, reason: `id ${f.id} is declared twice` });
          else seen.add(f.id as number);
          if (typeof f.name !== 'string' || !f.name.trim() || f.name.length > 100)
            errors.push({ field: `${at}.name`, reason: 'must be a name of 1 to 100 characters' });
        });
        patch.custom_fields = (v as { id: number; name: unknown }[]).map((f) => ({ id: f?.id, name: typeof f?.name === 'string' ? f.name.trim() : '' }));
        break;
      }
      case 'allowed_origins': {
        if (!Array.isArray(v) || v.length > 50) {
          errors.push({ field: key, reason: 'must be a list of at most 50 origins, like "https://shop.example"' });
          break;
        }
        const origins: string[] = [];
        v.forEach((o, i) => {
          const origin = checkOrigin(o);
          if (!origin) errors.push({ field: `allowed_origins[${i}]`, reason: 'must be an origin: scheme, host and port only, like "https://shop.example"' });
          else if (!origins.includes(origin)) origins.push(origin);
        });
        patch.allowed_origins = origins;
        break;
      }
      case 'daily_event_quota':
        if (v === null) patch.daily_event_quota = null; // back to the default
        else if (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_DAILY_EVENT_QUOTA) patch.daily_event_quota = v as number;
        else errors.push({ field: key, reason: `must be a whole number of events from 1 to ${MAX_DAILY_EVENT_QUOTA}` });
        break;
      case 'abandoned_cart_minutes':
        if (v === null) patch.abandoned_cart_minutes = null; // back to the default
        else if (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_ABANDONED_CART_MINUTES) patch.abandoned_cart_minutes = v as number;
        else errors.push({ field: key, reason: `must be a whole number of minutes from 0 (off) to ${MAX_ABANDONED_CART_MINUTES}` });
        break;
      case 'optin_callback_url':
      case 'optout_callback_url':
      case 'callback_secret': {
        const problem = checkCallbackSetting(key, v, allowLocal);
        if (problem) errors.push({ field: key, reason: problem });
        else patch[key] = v as string | null;
        break;
      }
      case 'stores': {
        const stores = checkStores(v, errors);
        if (stores) patch.stores = stores;
        break;
      }
      case 'auto_tags': {
        if (!isPlainObject(v)) {
          errors.push({ field: key, reason: 'must be an object: { "registration": "…", "newsletter": "…", "categories": true }' });
          break;
        }
        const tags: Partial<AutoTags> = {};
        for (const [t, tv] of Object.entries(v)) {
          const field = `auto_tags.${t.slice(0, 64)}`;
          if (t === 'registration' || t === 'newsletter') {
            const text = typeof tv === 'string' ? tv.trim() : tv;
            // Off is stored as "" (null in a JSON merge patch would bring the default back) and read as null.
            if (text === null || text === '') tags[t] = '';
            else if (typeof text === 'string' && text.length <= LIMITS.tagLength && !/[\u0000-\u001f\u007f]/.test(text)) tags[t] = text;
            else errors.push({ field, reason: `must be the tag's text (1 to ${LIMITS.tagLength} characters), or empty to turn it off` });
          } else if (t === 'categories') {
            if (typeof tv === 'boolean') tags.categories = tv;
            else errors.push({ field, reason: 'must be true or false' });
          } else errors.push({ field, reason: 'unknown setting; auto_tags has registration, newsletter, categories' });
        }
        patch.auto_tags = tags;
        break;
      }
      default:
        errors.push({
          field: key.slice(0, 64),
          reason:
            'unknown setting; settings are get_mode, order_validation_state, gdpr, custom_fields, allowed_origins, daily_event_quota, abandoned_cart_minutes, optin_callback_url, optout_callback_url, callback_secret, stores, auto_tags',
        });
    }
  }
  return { patch, errors };
}

/** The stores list: replaced whole (a JSON merge patch replaces lists). */
function checkStores(v: unknown, errors: FieldError[]): Store[] | undefined {
  if (!Array.isArray(v) || v.length > MAX_STORES) {
    errors.push({ field: 'stores', reason: `must be a list of at most ${MAX_STORES} { "id": "fr", "name": "Boutique FR", "currency": "EUR" }` });
    return undefined;
  }
  const seen = new Set<string>();
  const before = errors.length;
  const stores = v.map((st, i): Store => {
    const at = `stores[${i}]`;
    if (!isPlainObject(st)) return (errors.push({ field: at, reason: 'must be { "id": "fr", "name": "Boutique FR", "currency": "EUR" }' }), { id: '', name: '', currency: '' });
    for (const k of Object.keys(st)) if (k !== 'id' && k !== 'name' && k !== 'currency') errors.push({ field: `${at}.${k.slice(0, 64)}`, reason: 'unknown; a store has id, name, currency' });
    if (typeof st.id !== 'string' || !STORE_ID.test(st.id)) errors.push({ field: `${at}.id`, reason: 'must be 1 to 32 of a-z, 0-9, "_" or "-", like "fr"' });
    else if (seen.has(st.id)) errors.push({ field: `${at}.id`, reason: `store "${st.id}" is declared twice` });
    else seen.add(st.id);
    const name = typeof st.name === 'string' ? st.name.trim() : '';
    if (!name || name.length > 100) errors.push({ field: `${at}.name`, reason: 'must be a name of 1 to 100 characters' });
    if (!isCurrency(st.currency)) errors.push({ field: `${at}.currency`, reason: 'must be an ISO 4217 currency code, like EUR' });
    return { id: st.id as string, name, currency: st.currency as string };
  });
  return errors.length === before ? stores : undefined;
}

/**
 * Applies a partial update (PUT /api/settings, the dashboard's forms) and returns every setting.
 * Throws a 400 ProblemError naming each bad field; nothing is written then.
 */
export async function updateSettings(env: Env, site: { id: number; publicKey: string; db: string }, body: unknown, allowLocal = false): Promise<Settings> {
  const { patch, errors } = checkSettingsPatch(body, allowLocal);
  if (errors.length) throw invalidFields(errors);
  // JSON merge patch in SQL (RFC 7396: objects merge, lists are replaced, null resets to the
  // default), so two isolates updating different settings never undo each other. Migration
  // 0009's triggers refuse a callback URL left without its secret, and keep the callback rows.
  // First where the site's data is (its copy of the site's row there runs those triggers), then,
  // for a site placed on another database, the control database's row, which the Worker reads.
  const row = await siteDb(env, site)
    .prepare('UPDATE sites SET settings = json_patch(settings, ?1) WHERE id = ?2 RETURNING settings')
    .bind(JSON.stringify(patch), site.id)
    .first<{ settings: string }>()
    .catch((e) => {
      throw callbackSecretMissing(e) ?? e;
    });
  if (row && site.db !== CONTROL_DB) await env.DB.prepare('UPDATE sites SET settings = ?1 WHERE id = ?2').bind(row.settings, site.id).run();
  forgetSite(site.publicKey);
  // No row: the site was deleted since its keys (or session) were checked.
  if (!row) throw new ProblemError({ status: 404, code: 'not_found', message: 'No such site: it was deleted.' });
  return withDefaults(JSON.parse(row.settings));
}
