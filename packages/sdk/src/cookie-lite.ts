// cookie-jar.ts's get and put without js-cookie, for the script-tag build only (rollup.config.mjs
// puts this module in cookie-jar's place there; the npm build has js-cookie).
// test/cookie.test.ts holds the two to the same document.cookie writes and reads for every call
// cookie.ts makes. Left out: js-cookie's percent-encoding and decoding, which the names and values
// written here (sbt, sbt_probe, base64url ids) never need: a percent-encoded sbt written by
// someone else reads as not a visitor id, and is replaced.

/** A quoted value is unquoted, as js-cookie does. */
export const get = (name: string): string | undefined => document.cookie.match('(^|; )' + name + '="?([^;]*?)"?(;|$)')?.[2];

/** js-cookie's attributes in its order: path, domain, expires (days from now: -1 removes), sameSite, secure. */
export const put = (name: string, value: string, domain?: string, days?: number) =>
  (document.cookie =
    name +
    '=' +
    value +
    '; path=/' +
    (domain ? '; domain=' + domain : '') +
    (days ? '; expires=' + new Date(Date.now() + days * 864e5).toUTCString() : '') +
    (days! > 0 ? '; sameSite=lax' + (location.protocol == 'https:' ? '; secure' : '') : ''));
