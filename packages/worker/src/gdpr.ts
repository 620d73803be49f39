// GDPR states on a profile (seed 000, "Configurez le RGPD"): the legal basis a profile is put
// under on a new order or an account creation, and where email and SMS opt-ins go (a legal
// basis or a consent). Each change is a JSON merge patch for profiles.gdpr, applied in SQL.
// Every entry says who recorded it (source: api, tracker or callback) and why (reason).
import type { Profile } from '@shopbeacon/protocol';
import type { GdprTarget, Settings } from './settings';
import { raw, sql, type Stmt } from './sql';

export type GdprSource = 'api' | 'tracker' | 'callback';

/** One GDPR state change: a JSON merge patch for profiles.gdpr, applied when `when` holds on the stored row. */
export interface GdprChange {
  patch: string;
  when: Stmt;
}

type Reason = 'order' | 'account' | 'email_optin' | 'sms_optin';

const entryPath = (target: GdprTarget) => `$.${target.to === 'consent' ? 'consents' : 'legal_bases'}."${target.id}"`;

function gdprChange(target: GdprTarget, status: string, reason: Reason, source: GdprSource, now: number, when: Stmt): GdprChange {
  const group = target.to === 'consent' ? 'consents' : 'legal_bases';
  return { patch: JSON.stringify({ [group]: { [target.id]: { status, at: new Date(now).toISOString(), source, reason } } }), when };
}

/** The legal basis put on a profile, status accepted, when the event happens and it has none yet. */
export const legalBasisChange = (id: string, reason: 'order' | 'account', source: GdprSource, now: number): GdprChange => {
  const target = { to: 'legal_basis', id } as const;
  return gdprChange(target, 'accepted', reason, source, now, sql`json_extract(gdpr, ${entryPath(target)}) IS NULL`);
};

/**
 * What the settings make of this call's opt-ins and action. `optinChanges(column, v)` is the
 * condition, on the stored row, that this call changes that opt-in (and may). The browser never
 * changes an entry the shop's server recorded: it cannot revoke a consent given server-side.
 */
export function gdprChanges(p: Profile, settings: Settings, source: GdprSource, now: number, optinChanges: (column: 'isoptin' | 'mobile_isoptin', v: number) => Stmt): GdprChange[] {
  const changes: GdprChange[] = [];
  const optins = [
    ['customer_isoptin', settings.gdpr.email_optin, 'isoptin', 'email_optin'],
    ['customer_mobile_isoptin', settings.gdpr.sms_optin, 'mobile_isoptin', 'sms_optin'],
  ] as const;
  for (const [field, target, column, reason] of optins) {
    const v = p[field];
    if (!target || (v !== 1 && v !== 0)) continue;
    const when =
      source === 'tracker'
        ? sql`${optinChanges(column, v)} AND coalesce(json_extract(gdpr, ${`${entryPath(target)}.source`}), 'tracker') = 'tracker'`
        : optinChanges(column, v);
    changes.push(gdprChange(target, v === 1 ? 'accepted' : 'refused', reason, source, now, when));
  }
  if (p.action === 'account' && settings.gdpr.on_account) changes.push(legalBasisChange(settings.gdpr.on_account, 'account', source, now));
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
export function gdprValue(changes: GdprChange[]): Stmt {
  let expr = raw('gdpr');
  for (const c of changes) expr = sql`json_patch(${expr}, CASE WHEN ${c.when} THEN ${c.patch} ELSE '{}' END)`;
  return expr;
}
