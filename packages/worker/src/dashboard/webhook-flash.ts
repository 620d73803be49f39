// The signing secret of a webhook endpoint just added or rotated, shown once on the page the
// form redirects to (flash.ts). The secret itself never rides in the cookie: the endpoint keeps
// it in D1 to sign deliveries, so the cookie names the endpoint and when its secret was issued,
// and the page reads the secret back only while that is still its secret (not rotated again
// since) on an endpoint of the session's own site.
import type { Context } from 'hono';
import { siteDb } from '../tenancy';
import type { DashEnv } from './env';
import { type Flash, setFlash, takeFlash } from './flash';

export const WEBHOOK_FLASH_COOKIE = 'sb_webhook_secret';
const FLASH: Flash = { cookie: WEBHOOK_FLASH_COOKIE, path: '/dashboard/webhooks' };

/** An endpoint as createWebhook and rotateWebhookSecret answer it. */
interface Issued {
  id: number;
  created_at: string;
  rotated_at: string | null;
}

export interface IssuedSecret {
  url: string;
  secret: string;
  rotated: boolean;
}

export const flashIssuedSecret = (c: Context<DashEnv>, hook: Issued) => setFlash(c, FLASH, `${hook.id}.${Date.parse(hook.rotated_at ?? hook.created_at)}`);

/** The secret the request's flash cookie points at, cleared as it is read; null when none, or no longer that endpoint's secret. */
export async function takeIssuedSecret(c: Context<DashEnv>, siteId: number): Promise<IssuedSecret | null> {
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec((await takeFlash(c, FLASH)) ?? '');
  if (!m) return null;
  const row = await siteDb(c.env, c.get('session')).prepare('SELECT url, secret, rotated_at FROM webhooks WHERE id = ?1 AND site_id = ?2 AND coalesce(rotated_at, created_at) = ?3')
    .bind(Number(m[1]), siteId, Number(m[2]))
    .first<{ url: string; secret: string; rotated_at: number | null }>();
  return row && { url: row.url, secret: row.secret, rotated: row.rotated_at !== null };
}
