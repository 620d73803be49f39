// Personal data out of tracked URLs, as GA4's data redaction does: a checkout that submits by GET
// puts the customer's email in the thank-you page's URL, and from there into every page view,
// referrer and share page. The browser SDK redacts email addresses and the values of named query
// parameters before it sends a URL; the Worker redacts email addresses in every URL it stores,
// whatever sent it.

/** What a redacted part becomes. */
export const REDACTED = '(redacted)';

/** Query parameters whose values the SDK redacts unless told otherwise (the `redact` option), comma-separated. */
export const REDACT_PARAMS = 'email,e,mail,token,password,phone,tel';

// An address, raw or with its @ percent-encoded; a percent-escape just before it (%3D of an
// encoded "=") is kept, its $1 here. Not an image's resolution suffix (logo@2x.png).
const EMAIL = '(%[\\da-f]{2})?[\\w.+-]+(@|%40)(?!\\d+x\\.)[\\w.-]+\\.\\w+';

// Compiled once, on first use (/collect redacts every URL of every event); replace() with a
// global expression starts from 0 each time, so one instance serves every call.
let emails: RegExp | undefined;

/** The text with every email address in it replaced. */
export const redactEmails = (text: string) => text.replace((emails ??= RegExp(EMAIL, 'gi')), '$1' + REDACTED);

/**
 * What redactUrl finds: the values of the query parameters `names` (comma-separated; a name is
 * letters, digits, "_" and "-", anything else separates names) and email addresses ($1 is the
 * parameter's "name=", $3 the escape kept before an address). One regular expression, not URL
 * and URLSearchParams: the rest of the URL keeps its own encoding, and the browser SDK stays small.
 */
export const urlRedactor = (names: string) => RegExp(`([?&](${names.replace(/[^\w-]+/g, '|')})=)[^&#]*|${EMAIL}`, 'gi');

/** The URL with what the redactor finds replaced (a parameter keeps its name). */
export const redactUrl = (href: string, redactor: RegExp) => href.replace(redactor, '$1$3' + REDACTED);
