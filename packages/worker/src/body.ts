// Request bodies of the server API: PHP's http_build_query form encoding (what the seed's cURL
// client posts) or JSON of the same { data, request } shape. qs parses the bracket syntax
// (data[add_tag][0], data[custom_fields][327], data[product_attributes][0][1]) with hard limits;
// it is the parser Express and most PHP-compatible servers use.
import { bodyLimit } from 'hono/body-limit';
import type { Context } from 'hono';
import qs from 'qs';
import { LIMITS } from '@shopbeacon/protocol';
import type { AppEnv } from './env';
import { ProblemError } from './problem';

const invalid = (message: string) =>
  new ProblemError({ status: 400, code: 'invalid_body', message, fields: [{ field: 'body', reason: message }] });

export const limitBody = () =>
  bodyLimit({
    maxSize: LIMITS.bodyBytes,
    // Thrown, not returned: app.onError answers it, and logs it for the site whose keys came.
    onError: () => {
      throw new ProblemError({ status: 413, code: 'payload_too_large', message: `The body is larger than ${LIMITS.bodyBytes / 1024} KB.` });
    },
  });

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
