// Opt-in / opt-out callbacks, as SALESmanago and IdoSell exchange them: two URLs and a shared
// security parameter (IdoSell's is at most 16 characters), so that a consent changed on one side
// is changed on the other. This file: the settings and what goes out; callback-inbound.ts: what
// comes in.
//
// When a profile's email or SMS opt-in turns 1 (or 0), the site's optin_callback_url (or
// optout_callback_url) is posted a form naming the person, the channel and the new status, with
// the secret. Each URL is a webhooks row of its own kind (migration 0009 keeps the rows as the
// settings say), so a callback goes through the outbox, the TRIGGERS queue, the retries, the
// deliveries log and "send again" exactly as a webhook does; only its body differs.
import { endpointProblem } from './targets';
import { invalidFields, ProblemError } from '../problem';

// ---------------------------------------------------------------------------------------------
// Settings

/**
 * The secret is what a merchant types on both sides, and a form carries it: printable ASCII
 * without spaces, so that both systems encode it alike (a shop platform may not speak UTF-8).
 */
const SECRET = /^[\x21-\x7e]{1,16}$/;

/** Why a callback setting's value is refused, or null when it is taken (null removes it). */
export function checkCallbackSetting(key: 'optin_callback_url' | 'optout_callback_url' | 'callback_secret', v: unknown, allowLocal: boolean): string | null {
  if (v === null) return null;
  if (key !== 'callback_secret') return endpointProblem(v, allowLocal);
  return typeof v === 'string' && SECRET.test(v) ? null : 'must be 1 to 16 characters: letters, digits or punctuation, no spaces (null removes it)';
}

/** Migration 0009 refuses a callback URL without a secret: that refusal, as a 400 naming the field. */
export function callbackSecretMissing(e: unknown): ProblemError | null {
  if (!String(e instanceof Error ? e.message : e).includes('callback_secret required')) return null;
  return invalidFields([{ field: 'callback_secret', reason: 'is needed while optin_callback_url or optout_callback_url is set: the callbacks carry it' }]);
}

// ---------------------------------------------------------------------------------------------
// Outbound

export type CallbackKind = 'optin_callback' | 'optout_callback';

/**
 * SQL: the kind of callback trigger `t` goes to (an opt-in turned 1 or 0), NULL for any other,
 * and for a profile with neither email nor mobile (no receiver could tell who it is).
 */
const kindFor = (t: string) =>
  `CASE WHEN ${t}.type = 'consent.updated' AND ${t}.data ->> '$.kind' = 'optin'
     AND coalesce(${t}.data ->> '$.profile.customer_email', ${t}.data ->> '$.profile.customer_mobile') IS NOT NULL
   THEN CASE ${t}.data ->> '$.new' WHEN 1 THEN 'optin_callback' WHEN 0 THEN 'optout_callback' END END`;

/** SQL: webhooks row `w` is a callback that wants trigger `t` (the fan-out's test). */
export const callbackWants = (w: string, t: string) => `${w}.kind = ${kindFor(t)}`;

/** SQL, for the outbox's claim: a callback row of the site wants this trigger. */
export const CALLBACK_WANTED = `(triggers.type = 'consent.updated' AND EXISTS (SELECT 1 FROM webhooks w WHERE w.site_id = triggers.site_id AND ${callbackWants('w', 'triggers')}))`;

interface OptinData {
  profile: { customer_email: string | null; customer_mobile?: string | null };
  consent: string;
}

/**
 * A callback's body: the form a shop platform's callback handler reads. `status` is a word, not
 * 1/0 (the URL already says which, and a word cannot be misread); `at` is when the opt-in changed.
 */
export function callbackForm(kind: CallbackKind, trigger: { at: number; data: string }, secret: string): string {
  const d = JSON.parse(trigger.data) as OptinData;
  return new URLSearchParams({
    email: d.profile.customer_email ?? '',
    mobile: d.profile.customer_mobile ?? '',
    channel: d.consent === 'sms_optin' ? 'sms' : 'email',
    status: kind === 'optin_callback' ? 'optin' : 'optout',
    at: new Date(trigger.at).toISOString(),
    secret,
  }).toString();
}
