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
