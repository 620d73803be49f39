// Build-time switches. rollup.config.mjs gives the script tag its own values (see `scriptTag()`
// there); the npm build and the tests take these.

/**
 * true: the browser checks every value as the server would (kinds, lengths, formats). false, in
 * the script tag, where every byte counts: it checks field names and required fields only, and
 * the Worker refuses bad values, naming the field (the dashboard's rejected requests view).
 */
export const CHECK_VALUES: boolean = true;
