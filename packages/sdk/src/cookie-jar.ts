// The two cookie calls cookie.ts makes, through js-cookie: the npm build. The script tag has
// src/cookie-lite.ts in this module's place (rollup.config.mjs), which writes and reads the same
// strings in fewer bytes (test/cookie.test.ts holds the two to it).
import Cookies from 'js-cookie';

/** The value of cookie `name` (unquoted), or undefined. */
export const get = (name: string): string | undefined => Cookies.get(name);

/**
 * Writes cookie `name` on `domain` (host-only when empty): for `days` days, with SameSite=Lax and,
 * on https, Secure; for the session without `days`; removed when `days` is negative.
 */
export const put = (name: string, value: string, domain?: string, days?: number) =>
  days! < 0
    ? Cookies.remove(name, { domain })
    : Cookies.set(name, value, days ? { domain, expires: days, sameSite: 'lax', secure: location.protocol == 'https:' } : { domain });
