// CSRF protection of the dashboard's forms, two layers: Hono's csrf() refuses form posts whose
// Origin (or Sec-Fetch-Site) is not this Worker's, and every form that changes something
// carries the session's token (session.ts derives it from the session id), checked here in
// constant time. SameSite=Strict on the session cookie is a third.
import type { Context } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { DashEnv } from './env';
import { PageError } from './page-error';

export type Form = Record<string, string | File | (string | File)[]>;

/** The posted form; a body that is no form (a broken multipart) is a 400 page, not a 500. */
export async function postedForm(c: Context<DashEnv>): Promise<Form> {
  try {
    return (await c.req.parseBody({ all: true })) as Form;
  } catch {
    throw new PageError(400, 'Not a form', 'The request did not carry a form the dashboard can read.');
  }
}

/** The posted form, once its CSRF token is checked against the session's. */
export async function readForm(c: Context<DashEnv>): Promise<Form> {
  const form = await postedForm(c);
  const token = form._csrf;
  if (typeof token !== 'string' || !(await timingSafeEqual(token, c.get('session').csrf)))
    throw new PageError(403, 'Form out of date', 'This form is out of date or did not come from this dashboard. Go back, reload the page and try again.');
  return form;
}

export const field = (form: Form, name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');

/** Every value posted under a name (checkboxes, repeated rows), as text. */
export const list = (v: Form[string] | undefined) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => (typeof x === 'string' ? x : ''));
