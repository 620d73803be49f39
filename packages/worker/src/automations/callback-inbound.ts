// Inbound opt-in / opt-out callbacks (callbacks.ts has the settings and the outbound side):
// POST /callback/optin and /callback/optout (routes/callbacks.ts), with the site's public key and
// its callback_secret, set an opt-in here with the authority of the shop's server, over that
// opt-in only: the browser tracker cannot undo it (profiles.ts), and no other field is written.
// The change fires consent.updated, source "callback", through the same SQLite triggers as every
// other write, and its batch ends with the outbox's claim.
import { checkKind, type FieldError, isPlainObject, type Profile, PROFILE_FIELDS } from '@shopbeacon/protocol';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Site } from '../env';
import { gdprChanges, gdprValue, mergePatches } from '../gdpr';
import { runBatch } from '../ingest';
import { invalidFields, ProblemError } from '../problem';
import { guardedValues, join, raw, requestNonce, sql, type Stmt } from '../sql';
import { claimStatement, toEnqueue } from './outbox';

export type CallbackStatus = 'optin' | 'optout';

const refuseSecret = (reason: string) =>
  new ProblemError({ status: 403, code: 'wrong_secret', message: `secret ${reason}`, fields: [{ field: 'secret', reason }] });

/** The callback's secret, compared in constant time with the site's; 403 naming `secret` otherwise. */
export async function checkCallbackSecret(site: Site, body: unknown) {
  const expected = site.settings.callback_secret;
  if (expected === null) throw refuseSecret('cannot match: this site has no callback_secret in its settings, so it takes no callbacks');
  const sent = isPlainObject(body) ? body.secret : undefined;
  if (typeof sent !== 'string' || sent === '') throw refuseSecret('is missing: send the callback_secret of the site');
  if (!(await timingSafeEqual(expected, sent))) throw refuseSecret('is not the callback_secret of this site');
}

/** Which opt-in a callback sets, on which profiles. */
export interface CallbackInput {
  status: CallbackStatus;
  channel: 'email' | 'sms';
  email?: string;
  mobile?: string;
}

const CHANNELS = {
  email: { column: 'isoptin', field: 'customer_isoptin' },
  sms: { column: 'mobile_isoptin', field: 'customer_mobile_isoptin' },
} as const;

/** A field as a form or JSON sends it; an empty one (a form's `email=`) is not sent. */
const given = (b: Record<string, unknown>, k: string) => (b[k] === '' || b[k] === null ? undefined : b[k]);

/**
 * The person and the channel: `email` (a profile's email) or else `mobile` (every profile with
 * that number), and `channel` (email or sms; by default the email opt-in when an email is sent,
 * the SMS one otherwise). Other fields (a sender's own) are left alone.
 */
export function checkCallback(body: unknown, status: CallbackStatus): CallbackInput {
  const b = isPlainObject(body) ? body : {};
  const errors: FieldError[] = [];
  const read = (k: 'email' | 'mobile', kind: typeof PROFILE_FIELDS.customer_email | typeof PROFILE_FIELDS.customer_mobile) => {
    const v = given(b, k);
    if (v === undefined) return undefined;
    const checked = checkKind(kind, typeof v === 'string' ? v.trim() : v);
    if (checked.ok && checked.value !== '') return checked.value as string;
    errors.push({ field: k, reason: checked.ok ? 'must not be blank' : checked.reason });
  };
  const email = read('email', PROFILE_FIELDS.customer_email);
  const mobile = read('mobile', PROFILE_FIELDS.customer_mobile);
  const channel = given(b, 'channel') ?? (email !== undefined ? 'email' : 'sms');
  if (channel !== 'email' && channel !== 'sms') errors.push({ field: 'channel', reason: 'must be email or sms (the opt-in to change)' });
  if (!errors.length && email === undefined && mobile === undefined)
    errors.push({ field: 'email', reason: 'send email (the profile with this address) or mobile (the profiles with this number)' });
  else if (!errors.length && channel === 'email' && email === undefined) errors.push({ field: 'email', reason: 'is needed to change the email opt-in (channel=email)' });
  if (errors.length) throw invalidFields(errors);
  return { status, channel: channel as CallbackInput['channel'], ...(email !== undefined && { email }), ...(mobile !== undefined && { mobile }) };
}

/**
 * The callback's statements: the opt-in set on the profiles it names (by email when it sends
 * one, else by mobile), with its time (when it changed), source "callback" and the GDPR entry the
 * settings map it to; then, when no profile has that email or number, a new one (source
 * "callback") with what was sent. The callback says nothing else about the person: no other
 * field is written. Repeating the current choice changes no version, and fires nothing, but puts
 * the callback behind it (as the server's upsert does).
 */
export function callbackStatements(site: Pick<Site, 'id' | 'settings'>, input: CallbackInput, now: number, nonce: number): Stmt[] {
  const { column, field } = CHANNELS[input.channel];
  const v = input.status === 'optin' ? 1 : 0;
  const col = raw(column);
  const changes = sql`${col} IS NOT ${v}`;
  const gdpr = gdprChanges({ [field]: v } as Profile, site.settings, 'callback', now, () => changes);
  const named = input.email !== undefined ? sql`email = ${input.email}` : sql`mobile = ${input.mobile}`;
  const update = sql`UPDATE profiles SET
      ${raw(`${column}_at`)} = CASE WHEN ${changes} THEN ${now} ELSE ${raw(`${column}_at`)} END,
      ${raw(`${column}_source`)} = 'callback',
      ${gdpr.length ? sql`gdpr = ${gdprValue(gdpr)},` : raw('')}
      version = CASE WHEN ${changes} THEN version + 1 ELSE version END,
      updated_at = CASE WHEN ${changes} THEN ${now} ELSE updated_at END,
      ${col} = ${v}
    WHERE site_id = ${site.id} AND ${named} RETURNING id`;
  const cols = ['site_id', column, `${column}_at`, `${column}_source`, 'gdpr', 'source', 'created_at', 'updated_at', 'created_in'];
  const values: Stmt[] = [sql`${site.id}`, sql`${v}`, sql`${now}`, raw(`'callback'`), sql`${mergePatches(gdpr.map((c) => c.patch))}`, raw(`'callback'`), sql`${now}`, sql`${now}`, sql`${nonce}`];
  if (input.email !== undefined) cols.push('email', 'email_source'), values.push(sql`${input.email}`, raw(`'callback'`));
  if (input.mobile !== undefined) cols.push('mobile'), values.push(sql`${input.mobile}`);
  const insert = sql`INSERT INTO profiles (${raw(cols.join(', '))})
    ${guardedValues(join(values), sql`NOT EXISTS (SELECT 1 FROM profiles WHERE site_id = ${site.id} AND ${named})`)} RETURNING id`;
  return [update, insert];
}

/** Applies a callback in one batch (ending with the outbox's claim): how many profiles it set, and whether it made one. */
export async function applyCallback(db: D1Database, site: Pick<Site, 'id' | 'settings'>, input: CallbackInput, now = Date.now()) {
  const results = await runBatch(db, [...callbackStatements(site, input, now, requestNonce()), claimStatement(site.id, now)]);
  const [updated, inserted, claimed] = results;
  return { profiles: updated.results.length + inserted.results.length, created: inserted.results.length > 0, triggers: toEnqueue(claimed) };
}
