// One POST to the Worker's import API, with what its answers mean:
//   200 {ok: true}         done (the Worker's per-row rejects are in the answer);
//   401 / 403              the keys are refused: nothing else will pass (AuthError, exit 2);
//   429                    wait Retry-After, send the same body again;
//   5xx, network, timeout  send the same body again after 0.5 s, 1 s, 2 s, … up to 8 attempts;
//   anything else          the request itself is refused: stop with the Worker's problem.
// Re-sending is safe: the Worker counts an (import, batch) pair once and its rows are upserts.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerReject } from './checkpoint';
import type { TokenBucket } from './rate';

/** The Worker refused the keys (exit 2). */
export class AuthError extends Error {}
/** The import cannot go on: refused, or failed too often (exit 3; --resume continues). */
export class StopError extends Error {}
/** Stopped from here (Ctrl-C, or another batch failed): the batch's outcome is unknown. */
export class Abandoned extends Error {}

export interface SenderOptions {
  url: string;
  /** `Basic base64(pk:sk)` */
  authorization: string;
  timeoutMs: number;
  /** The first wait after a 5xx or network error; it doubles at each attempt. */
  retryDelayMs: number;
  maxAttempts: number;
  rate?: TokenBucket;
  /** Aborted: no new attempt and no more waiting (first Ctrl-C). */
  drain: AbortSignal;
  /** Aborted: requests in flight are dropped too (second Ctrl-C, or a fatal error elsewhere). */
  abandon: AbortSignal;
  /** A retry worth telling the user about. */
  note: (message: string) => void;
}

/** What the Worker answers to a batch. */
export interface BatchAnswer {
  taken?: number;
  rejected: WorkerReject[];
}

const MAX_DELAY_MS = 30_000;
/** 429s in a row for one request before giving up: a Worker that never lets us in. */
const MAX_RATE_LIMITED = 100;

interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
}

// node:http rather than fetch: undici's fetch held some 70 MB more at 20,000 rows/s (its web
// streams and buffers), and memory is to stay flat. One keep-alive agent: a batch in flight is
// one connection.
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * A batch's JSON body as bytes, from its rows' JSON. A Buffer lives outside V8's heap; one string
 * of 1,000 rows (~300 KB) would go to its large-object space, which only a full GC frees.
 */
export function jsonBody(head: Record<string, unknown>, rows: readonly { json: string }[]): Buffer {
  const open = JSON.stringify({ ...head, rows: [] });
  const start = open.slice(0, -2); // …,"rows":[
  let length = Buffer.byteLength(start) + 2 + Math.max(0, rows.length - 1);
  for (const r of rows) length += Buffer.byteLength(r.json);
  const buf = Buffer.allocUnsafeSlow(length);
  let at = buf.write(start);
  rows.forEach((r, i) => {
    if (i) at += buf.write(',', at);
    at += buf.write(r.json, at);
  });
  buf.write(']}', at);
  return buf;
}

type Body = string | Buffer;

function request(url: string, authorization: string, body: Body, signal: AbortSignal): Promise<Answer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol as keyof typeof agents],
        signal,
        headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, text }));
        res.on('error', reject);
        // An answer cut short (the connection dropped, or aborted on timeout) may end in 'close' alone.
        res.on('close', () => res.complete || reject(Object.assign(new Error('the answer was cut short'), { code: 'ECONNRESET' })));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const basicAuth = (publicKey: string, privateKey: string) => `Basic ${Buffer.from(`${publicKey}:${privateKey}`).toString('base64')}`;

/** Retry-After: seconds, or an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === '') return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now);
}

/** The Worker's problem body (packages/worker/src/problem.ts) as lines a person reads. */
export function describeProblem(status: number, body: unknown, fallback: string): string {
  const error = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } } | null)?.error;
  if (!error || typeof error !== 'object') return `${status}: ${fallback.slice(0, 500) || '(no body)'}`;
  let text = `${status} ${String(error.code ?? '')}: ${String(error.message ?? '')}`;
  if (Array.isArray(error.fields))
    for (const f of error.fields as { field?: unknown; reason?: unknown }[]) text += `\n  ${String(f?.field)}: ${String(f?.reason)}`;
  return text;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * POSTs `body` until the Worker takes it; `rows` is charged to the rate limit at each attempt.
 * `what` names the request in messages ("orders.csv batch 12 (rows 12001–13000)").
 */
export async function post(o: SenderOptions, body: Body, rows: number, what: string): Promise<Record<string, unknown>> {
  const stopped = AbortSignal.any([o.drain, o.abandon]);
  const abandoned = () => {
    throw new Abandoned(what);
  };
  const wait = (ms: number) => sleep(ms, undefined, { signal: stopped }).catch(abandoned);
  let failures = 0;
  let limited = 0;
  const retryOrStop = async (reason: string) => {
    failures++;
    if (failures >= o.maxAttempts) throw new StopError(`${what}: failed ${failures} times, the last: ${reason}`);
    const ms = Math.min(MAX_DELAY_MS, o.retryDelayMs * 2 ** (failures - 1));
    o.note(`${what}: ${reason.split('\n')[0]}; attempt ${failures + 1} of ${o.maxAttempts} in ${seconds(ms)}`);
    await wait(ms);
  };
  for (;;) {
    if (stopped.aborted) abandoned();
    if (o.rate && rows) await o.rate.take(rows, stopped).catch(abandoned);

    let res: Answer;
    const timeout = AbortSignal.timeout(o.timeoutMs);
    try {
      res = await request(o.url, o.authorization, body, AbortSignal.any([o.abandon, timeout]));
    } catch (e) {
      if (o.abandon.aborted) throw new Abandoned(what);
      const err = e as NodeJS.ErrnoException;
      await retryOrStop(timeout.aborted ? `no answer in ${seconds(o.timeoutMs)}` : (err.code ?? err.message));
      continue;
    }
    const text = res.text;

    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* described as text below */
    }
    if (res.status === 200) {
      if ((json as { ok?: unknown } | null)?.ok === true) return json as Record<string, unknown>;
      throw new StopError(`${what}: the Worker answered 200 without {"ok": true}: ${text.slice(0, 500)}`);
    }
    if (res.status === 401 || res.status === 403) throw new AuthError(`the Worker refused the keys: ${describeProblem(res.status, json, text)}`);
    if (res.status === 429) {
      if (++limited > MAX_RATE_LIMITED) throw new StopError(`${what}: the Worker answered 429 (rate limited) ${MAX_RATE_LIMITED} times in a row`);
      const ms = retryAfterMs(res.retryAfter);
      o.note(`${what}: rate limited by the Worker (429); sending again in ${seconds(ms)}`);
      await wait(ms);
      continue;
    }
    if (res.status >= 500) {
      await retryOrStop(describeProblem(res.status, json, text));
      continue;
    }
    let hint = '';
    if (res.status === 404) hint = '\n(is the endpoint a shopbeacon Worker with the import API, /api/import/*?)';
    if (res.status === 413) hint = '\n(the batch is over the Worker\'s size limit: import again with a smaller --batch-size, after deleting the checkpoint; rows already taken are upserted, not doubled)';
    throw new StopError(`${what}: the Worker refused the request: ${describeProblem(res.status, json, text)}${hint}`);
  }
}

/** Checks the shape of a batch's answer: a wrong one stops the import rather than losing rows. */
export function batchAnswer(json: Record<string, unknown>, what: string): BatchAnswer {
  const rejected = json.rejected ?? [];
  const valid =
    Array.isArray(rejected) &&
    rejected.every((r) => typeof r === 'object' && r !== null && Number.isInteger((r as WorkerReject).row) && typeof (r as WorkerReject).field === 'string' && typeof (r as WorkerReject).reason === 'string');
  if (!valid) throw new StopError(`${what}: the Worker's "rejected" is not a list of {row, field, reason}: ${JSON.stringify(rejected).slice(0, 300)}`);
  return { taken: typeof json.taken === 'number' ? json.taken : undefined, rejected: rejected as WorkerReject[] };
}
