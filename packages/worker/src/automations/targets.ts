// Where a webhook may point. The Worker posts to what a merchant registers, so an endpoint URL is
// https to a public host name: no http, no IP literal, no localhost or private-use names (an
// endpoint that is not the merchant's own could be made to receive signed data, and an internal
// address probed). WEBHOOKS_ALLOW_LOCAL=1 (npm run dev, the tests) lets a local receiver in.
// Redirects are never followed (deliver.ts), so a public host cannot bounce a delivery inward.
import type { Env } from '../env';

/** Whether the deployment lets endpoints be local (WEBHOOKS_ALLOW_LOCAL=1). */
export const localAllowed = (env: Pick<Env, 'WEBHOOKS_ALLOW_LOCAL'>) => env.WEBHOOKS_ALLOW_LOCAL === '1';

const RESERVED_SUFFIXES = ['localhost', 'local', 'internal', 'intranet', 'lan', 'home', 'corp', 'private', 'test', 'invalid', 'example', 'onion', 'home.arpa'];

/** Why `url` cannot be a webhook endpoint, or null when it can. */
export function endpointProblem(url: unknown, allowLocal: boolean): string | null {
  if (typeof url !== 'string' || url.length > 2048) return 'must be an https URL of at most 2,048 characters';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an https URL, like https://hooks.shop.example/shopbeacon';
  }
  if (u.username || u.password) return 'must not carry a user name or password (the signature authenticates deliveries)';
  if (allowLocal) return u.protocol === 'https:' || u.protocol === 'http:' ? null : 'must be an http(s) URL';
  if (u.protocol !== 'https:') return 'must be https (http is taken only when the deployment sets WEBHOOKS_ALLOW_LOCAL=1)';
  const host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (/^\[.*\]$/.test(host) || /^[\d.]+$/.test(host) || /^0x/i.test(host)) return 'must name a host, not an IP address';
  if (!host.includes('.')) return 'must be a public host name (with a domain)';
  if (RESERVED_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`))) return 'must be a public host name, not a local or reserved one';
  return null;
}
