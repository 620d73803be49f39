// Request bodies of the server API: PHP's http_build_query form encoding (what the seed's cURL
// client posts) or JSON of the same { data, request } shape. qs parses the bracket syntax
// (data[add_tag][0], data[custom_fields][327], data[product_attributes][0][1]) with hard limits;
// it is the parser Express and most PHP-compatible servers use.
import { bodyLimit } from 'hono/body-limit';
import type { Context, MiddlewareHandler } from 'hono';
import qs from 'qs';
import { LIMITS } from '@shopbeacon/protocol';
import type { AppEnv } from './env';
import { ProblemError } from './problem';

const invalid = (message: string) =>
  new ProblemError({ status: 400, code: 'invalid_body', message, fields: [{ field: 'body', reason: message }] });

const tooLarge = (max = LIMITS.bodyBytes) => new ProblemError({ status: 413, code: 'payload_too_large', message: `The body is larger than ${max / 1024} KB.` });

/** What is read, and dropped, of a body left unread before the answer goes (see drainUnread). */
export const DRAIN_BYTES = 1024 * 1024;

// wrangler's local proxy fails the request after one whose body the Worker answered without
// reading to its end (a 500, or a hang of 15 s and more): a body over the limit, or any body of
// a request refused before it was read (a 401). So what is left of a body is read and dropped,
// up to DRAIN_BYTES, before the answer goes; a longer one is let go (cancelled). Cloudflare's
// own edge needs none of it; it costs a refused request reading at most 1 MB.

/** Reads and drops what is left of a body, up to DRAIN_BYTES, then lets go of it. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>) {
  for (let dropped = 0; dropped < DRAIN_BYTES; ) {
    const more = await reader.read();
    if (more.done) return;
    dropped += more.value.length;
  }
  await reader.cancel();
}

/** The app's first middleware: a body no route read is drained once the answer is made. */
export const drainUnread: MiddlewareHandler<AppEnv> = async (c, next) => {
  const raw = c.req.raw;
  await next();
  if (raw.body && !raw.bodyUsed && !raw.body.locked) await drain(raw.body.getReader()).catch(() => undefined);
};

// A body with a Content-Length is checked by Hono's bodyLimit before it is read. Hono's reads a
// chunked one until it passes the limit and stops there, with the rest unread: so a body of
// unknown length is read here, and past the limit the rest is drained.
const byLength = (max: number) => bodyLimit({ maxSize: max, onError: () => { throw tooLarge(max); } });

/**
 * Bodies over `max` (LIMITS.bodyBytes, the server API's) are a 413, thrown (app.onError answers
 * it, and logs it for the site whose keys came).
 */
export const limitBody = (max: number = LIMITS.bodyBytes): MiddlewareHandler<AppEnv> => {
  const known = byLength(max);
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body || (raw.headers.has('content-length') && !raw.headers.has('transfer-encoding'))) return known(c, next);
    const reader = raw.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await drain(reader).catch(() => undefined);
        throw tooLarge(max);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    chunks.reduce((at, chunk) => (body.set(chunk, at), at + chunk.length), 0);
    c.req.raw = new Request(raw, { body });
    return next();
  };
};

// Keys that name Object.prototype's internals: refused outright rather than silently dropped (qs
// drops a leading __proto__ without a word). The name may be any segment of the key: the first,
// before its brackets, or one in brackets.
const PROTO_KEY = /(?:^|\[)(?:__proto__|constructor|prototype)(?:[[\]]|$)/;

/** Objects `x[]=a&x[]=b` makes ({ 0: [a, b] }) become the indexed form http_build_query writes. */
function spreadEmptyBrackets(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(spreadEmptyBrackets);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === '0' && Array.isArray(o[0])) return { ...(o[0] as unknown[]).map(spreadEmptyBrackets) };
  const out: Record<string, unknown> = Object.create(null);
  for (const k of keys) out[k] = spreadEmptyBrackets(o[k]);
  return out;
}

export function parseForm(text: string): unknown {
  try {
    return spreadEmptyBrackets(
      qs.parse(text, {
        depth: 3, // data[product_attributes][0][1] is the deepest field of the contract
        strictDepth: true,
        parameterLimit: 2000,
        throwOnLimitExceeded: true,
        parseArrays: false, // keep custom_fields[327] a key, never a sparse array
        plainObjects: true,
        allowPrototypes: false,
        // Each key is checked as qs reads it, before it builds anything from it: cut where qs
        // cuts it (at "]=" before "="), and decoded on its own, so a key that is not valid
        // percent-encoding is checked raw and leaves the other keys decoded.
        decoder: (str, decode, charset, type) => {
          const s = decode(str, decode, charset);
          if (type === 'key' && PROTO_KEY.test(s)) throw invalid('field names must not be __proto__, constructor or prototype');
          return s;
        },
      }),
    );
  } catch (e) {
    if (e instanceof ProblemError) throw e;
    const message = e instanceof RangeError && /depth/i.test(e.message)
      ? 'fields are nested too deeply: the deepest is data[product_attributes][i][j]'
      : 'the form body has too many fields';
    throw invalid(message);
  }
}

/** The parsed body, or throws a ProblemError (400 broken body, 415 other media types). */
export async function readBody(c: Context<AppEnv>): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  // Decoded by hand: workerd warns when .text() reads a body whose type is not text/*.
  const text = new TextDecoder().decode(await c.req.arrayBuffer());
  c.set('sent', text);
  if (type === 'application/json') {
    try {
      return JSON.parse(text);
    } catch {
      throw invalid('the body is not valid JSON');
    }
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') return parseForm(text);
  throw new ProblemError({
    status: 415,
    code: 'unsupported_media_type',
    message: 'Send application/x-www-form-urlencoded (as PHP http_build_query) or application/json.',
  });
}
