import { ProblemError } from '../problem';

/** A refusal the dashboard answers with an HTML page (app.tsx's onError renders it). */
export class PageError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 410 | 413 | 429,
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

/**
 * What an API function (automations/) refused, as a page: its 404 (no such row on this site) as
 * `missing`, its 409 with the API's message. Anything else is no refusal of the merchant's.
 */
export async function asPage<T>(run: Promise<T>, missing: PageError): Promise<T> {
  try {
    return await run;
  } catch (e) {
    if (!(e instanceof ProblemError) || (e.problem.status !== 404 && e.problem.status !== 409)) throw e;
    throw e.problem.status === 404 ? missing : new PageError(409, 'Not possible', e.problem.message);
  }
}
