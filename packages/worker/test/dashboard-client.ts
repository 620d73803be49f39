// A tiny browser for the dashboard's workerd tests: keeps cookies, sends forms the way a page
// of this origin does (Origin header), and never follows redirects, so tests see them.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../src/index';
import { SELF, type TestSite } from './helpers';

export const ORIGIN = 'https://tracker.test';

export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly origin = ORIGIN,
    readonly headers: Record<string, string> = {},
    /** What answers: the Worker under test, or the Worker with other bindings (workerWith). */
    readonly worker: Pick<Fetcher, 'fetch'> = SELF,
  ) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers({ ...this.headers, ...(init.headers as Record<string, string>) });
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await this.worker.fetch(`${this.origin}${path}`, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get = (path: string) => this.fetch(path);

  /** A form post, from a page of `from` (this origin unless told). */
  post(path: string, form: Record<string, string | string[]>, from: string | null = this.origin) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(from ? { origin: from } : {}) },
      body,
    });
  }

  /** The CSRF token of the page at path (every changing form carries it). */
  async csrf(path = '/dashboard/settings'): Promise<string> {
    return csrfIn(await (await this.get(path)).text());
  }
}

export const csrfIn = (html: string) => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no CSRF token in the page:\n${html.slice(0, 500)}`);
  return m[1];
};

/** A client logged in to the site's dashboard. */
export async function loggedIn(site: TestSite, client = new Client()): Promise<Client> {
  const res = await client.post('/dashboard/login', { public_key: site.publicKey, private_key: site.privateKey });
  if (res.status !== 303) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return client;
}

/** The Worker under test with some bindings replaced (a fake queue, WEBHOOKS_ALLOW_LOCAL unset), for a Client. */
export const workerWith = (bindings: Partial<Cloudflare.Env>): Pick<Fetcher, 'fetch'> => ({
  fetch: async (input: RequestInfo | URL, init?: RequestInit) => worker.fetch(new Request(input, init), { ...env, ...bindings }, createExecutionContext()),
});
