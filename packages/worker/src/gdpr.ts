// GDPR states on a profile (seed 000, "Configurez le RGPD"): the legal basis a profile is put
// under on a new order or an account creation, and where email and SMS opt-ins go (a legal
// basis or a consent). Each change is a JSON merge patch for profiles.gdpr, applied in SQL.
import type { Profile } from '@shopbeacon/protocol';
import type { GdprTarget, Settings } from './settings';
import type { Stmt } from './sql';

/** One GDPR state change: a JSON merge patch for profiles.gdpr, applied when `when` holds on the stored row. */
export interface GdprChange {
  patch: string;
  when: Stmt;
}

function gdprChange(target: GdprTarget, status: string, source: string, now: number, when: Stmt): GdprChange {
  const group = target.to === 'consent' ? 'consents' : 'legal_bases';
  return { patch: JSON.stringify({ [group]: { [target.id]: { status, at: new Date(now).toISOString(), source } } }), when };
}

/** The legal basis put on a profile, status accepted, when the event happens and it has none yet. */
export const legalBasisChange = (id: string, source: 'order' | 'account', now: number): GdprChange =>
  gdprChange({ to: 'legal_basis', id }, 'accepted', source, now, { sql: 'json_extract(gdpr, ?) IS NULL', params: [`$.legal_bases."${id}"`] });

/**
 * What the settings make of this call's opt-ins and action (seed 000, "Configurez le RGPD").
 * `incoming` is the SQL (and parameters) of the opt-in value being written: excluded.x in an upsert.
 */
export function gdprChanges(p: Profile, settings: Settings, now: number, incoming = (column: string, _v: number): Stmt => ({ sql: `excluded.${column}`, params: [] })): GdprChange[] {
  const changes: GdprChange[] = [];
  const optins = [
    ['customer_isoptin', settings.gdpr.email_optin, 'isoptin', 'email_optin'],
    ['customer_mobile_isoptin', settings.gdpr.sms_optin, 'mobile_isoptin', 'sms_optin'],
  ] as const;
  for (const [field, target, column, source] of optins) {
    const v = p[field];
    if (!target || (v !== 1 && v !== 0)) continue;
    const value = incoming(column, v);
    changes.push(gdprChange(target, v === 1 ? 'accepted' : 'refused', source, now, { sql: `${column} IS NOT ${value.sql}`, params: value.params }));
  }
  if (p.action === 'account' && settings.gdpr.on_account) changes.push(legalBasisChange(settings.gdpr.on_account, 'account', now));
  return changes;
}

/** Deep merge of JSON merge patches, for a new row (RFC 7396 on an empty document). */
export function mergePatches(patches: string[]): string {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of patches)
    for (const [group, entries] of Object.entries(JSON.parse(p) as Record<string, Record<string, unknown>>))
      out[group] = { ...out[group], ...entries };
  return JSON.stringify(out);
}

/** The gdpr column's new value: each change merged in when its condition holds on the stored row. */
export function gdprSet(changes: GdprChange[], params: unknown[]): string {
  let expr = 'gdpr';
  for (const c of changes) {
    // Parameters bind in text order: the innermost CASE comes first.
    expr = `json_patch(${expr}, CASE WHEN ${c.when.sql} THEN ? ELSE '{}' END)`;
    params.push(...c.when.params, c.patch);
  }
  return `gdpr = ${expr}`;
}
