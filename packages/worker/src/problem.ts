// Errors are values: a status, a code a program can switch on, a sentence a shop developer can
// act on, and the fields at fault. Every 4xx of the Worker is one of these, as JSON.
import type { FieldError } from '@shopbeacon/protocol';

export interface Problem {
  status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 503;
  code: string;
  message: string;
  fields?: FieldError[];
  /** Seconds after which a 429 or 503 may be tried again (the Retry-After header). */
  retryAfter?: number;
}

/** A Problem thrown from deep in a handler; app.onError answers it (Hono only routes Errors there). */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

export const problemBody = (p: Problem) => ({
  ok: false as const,
  error: { code: p.code, message: p.message, fields: p.fields ?? [] },
});

export const problemResponse = (p: Problem, headers?: Record<string, string>) =>
  Response.json(problemBody(p), { status: p.status, headers: p.retryAfter === undefined ? headers : { ...headers, 'Retry-After': String(p.retryAfter) } });

export const invalidFields = (fields: FieldError[]) =>
  new ProblemError({
    status: 400,
    code: 'invalid_fields',
    message: fields.length === 1 ? `${fields[0].field} ${fields[0].reason}` : `${fields.length} fields are invalid; see fields`,
    fields,
  });
