// Safari caps cookies written by script at 7 days; one set by the shop's own site (same-site,
// and since Safari 16.4 from the shop's own IP addresses) lives on. So the sbt the page sent as a
// cookie is set again: refreshed, never created (the page writes it only with the visitor's
// consent), once per visit (sbv, a session cookie), and only when an event of this visitor was
// taken (the handler names the visitors it took events of: c.var.visitors).
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { getDomain } from 'tldts';
import { LIMITS } from '@shopbeacon/protocol';
import type { AppEnv } from '../env';

/**
 * The domain to set the sbt cookie on from this response: the shop page's registrable domain
 * (shop.co.uk for checkout.eu.shop.co.uk, by the Public Suffix List, private entries such as
 * myshopify.com included: tldts), which is also the widest domain the SDK's probe finds, so both
 * write the same cookie. Null when this Worker is not on that domain (cross-site: a third-party
 * cookie would not help); '' (a host-only cookie) for the same IP address or loopback host.
 */
export function cookieDomain(pageHost: string, workerHost: string): string | null {
  const site = getDomain(pageHost, { allowPrivateDomains: true });
  if (!site) return pageHost === workerHost ? '' : null;
  return workerHost === site || workerHost.endsWith(`.${site}`) ? site : null;
}

export const sbtRefresh = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  await next();
  const sbt = getCookie(c, 'sbt');
  const page = c.get('page');
  if (!page || !sbt || getCookie(c, 'sbv') || !c.get('visitors')?.has(sbt)) return;
  const self = new URL(c.req.url);
  const domain = cookieDomain(page.host, self.hostname);
  if (domain === null) return;
  const attributes = { path: '/', sameSite: 'Lax', secure: self.protocol === 'https:', ...(domain ? { domain } : {}) } as const;
  setCookie(c, 'sbt', sbt, { ...attributes, maxAge: LIMITS.sbtDays * 24 * 3600 });
  setCookie(c, 'sbv', '1', attributes);
};
