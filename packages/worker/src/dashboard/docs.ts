// Documentation links of the share page and its email (seed 000: "aux liens de la
// documentation"): sections of the project README, which this Worker serves at /docs. DOCS_URL
// (a var in wrangler.toml) points them elsewhere, e.g. at your repository's README.

export const DOC_SECTIONS = [
  ['the-tracker-in-a-shop', 'The tracker in a shop (script tag, npm, events)'],
  ['keys', 'Keys'],
  ['post-apiupdateorder', 'POST /api/updateOrder'],
  ['post-apiupdatecustomer', 'POST /api/updateCustomer'],
  ['errors', 'Errors'],
  ['fields', 'Fields'],
] as const;

/** The links, absolute: they travel in emails. `origin` is this Worker's. */
export const docLinks = (env: { DOCS_URL?: string }, origin: string) =>
  DOC_SECTIONS.map(([anchor, label]) => ({ href: `${env.DOCS_URL || `${origin}/docs`}#${anchor}`, label }));
