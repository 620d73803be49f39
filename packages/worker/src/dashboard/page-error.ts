/** A refusal the dashboard answers with an HTML page (app.tsx's onError renders it). */
export class PageError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 410 | 413 | 429,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The site of a session or share link is gone: deleted from D1 after the request checked its
 * credential (a deleted site's sessions and links go with it, so no later request gets this far).
 */
export const noSuchSite = () => new PageError(404, 'No such site', 'This site no longer exists.');
