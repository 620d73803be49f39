// js-cookie's get, set and remove, as cookie.ts calls them, for the script-tag build only
// (rollup.config.mjs puts this module in js-cookie's place there; the npm build imports
// js-cookie itself). test/cookie.test.ts holds the two to the same document.cookie writes and
// reads for every call cookie.ts makes. Left out: js-cookie's percent-encoding and decoding,
// which the names and values written here (sbt, sbt_probe, base64url ids) never need: a
// percent-encoded sbt written by someone else reads as not a visitor id, and is replaced.
type Attributes = Record<string, string | number | boolean | undefined>;

const set = (name: string, value: string, attributes?: Attributes) => {
  let cookie = name + '=' + value;
  for (const [k, v] of Object.entries<Attributes[string]>({ path: '/', ...attributes }))
    if (v) cookie += '; ' + k + (v === true ? '' : '=' + (k == 'expires' ? new Date(Date.now() + (v as number) * 864e5).toUTCString() : v));
  return (document.cookie = cookie);
};

export default {
  set,
  // A quoted value is unquoted, as js-cookie does.
  get: (name: string): string | undefined => document.cookie.match('(^|; )' + name + '="?([^;]*?)"?(;|$)')?.[2],
  remove: (name: string, attributes?: Attributes) => set(name, '', { ...attributes, expires: -1 }),
};
