// A stand-in for the Worker's import API (POST /api/import/customers and /api/import/orders),
// built to the contract the CLI is written against: Basic auth, at most 1,000 rows a batch, a
// row rejected (field and reason) when a value of its data is "BAD" or it has a key besides
// data and request, an (import, batch) pair counted once, rows held by their key so a re-sent
// row is an upsert. It records every request with its time, and can be told to answer
// otherwise (500, 429, a hang, a dropped connection) for chosen requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const PK = 'pk_test_import_0000000000';
export const SK = 'sk_test_import_secret';

export interface Received {
  /** performance.now() when the whole body was in. */
  at: number;
  kind: string;
  import: string;
  file: string;
  batch: number;
  first_row: number;
  /** Row numbers of the batch, first_row + i. */
  rows: number[];
  done: boolean;
  status: number;
}

export interface TakenRow {
  kind: string;
  import: string;
  batch: number;
  row: number;
  data: Record<string, unknown>;
}

/** 'hang': no answer; 'stall': the status and part of the body, then nothing; 'kill': the connection dropped. */
export type Reply = { status: number; retryAfter?: number; body?: unknown } | 'hang' | 'stall' | 'kill';

export interface FakeOptions {
  /** Answers a request otherwise than the contract does (n: its 0-based number). */
  intercept?: (request: Received, n: number) => Reply | undefined;
  /** Milliseconds to wait before answering a batch. */
  delayMs?: () => number;
  /** false: count the rows taken, do not keep them (a large import). */
  keepRows?: boolean;
}

const problem = (code: string, message: string, fields: { field: string; reason: string }[] = []) => ({ ok: false, error: { code, message, fields } });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasBad = (v: unknown): boolean => v === 'BAD' || (Array.isArray(v) ? v.some(hasBad) : isObject(v) && Object.values(v).some(hasBad));

export const keyOf = (kind: string, data: Record<string, unknown>) =>
  kind === 'orders' ? `order:${String(data.order_idorder)}` : `customer:${String(data.customer_email ?? data.external_id)}`;

export class FakeWorker {
  readonly requests: Received[] = [];
  /** (import, batch) pairs counted, with the rows taken the first time. */
  readonly batches = new Map<string, number>();
  readonly taken: TakenRow[] = [];
  /** The rows as the Worker would hold them: by key, the last write wins. */
  readonly held = new Map<string, Record<string, unknown>>();
  readonly done = new Set<string>();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: FakeOptions = {}): Promise<FakeWorker> {
    let fake: FakeWorker;
    const server = createServer((req, res) => void fake.handle(req, res, options));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    fake = new FakeWorker(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** Requests for batches (not the final done one). */
  get batchRequests() {
    return this.requests.filter((r) => !r.done);
  }

  async close() {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, options: FakeOptions) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const match = /^\/api\/import\/(customers|orders)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return send(404, problem('not_found', 'No such route.'));
    const expected = `Basic ${Buffer.from(`${PK}:${SK}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, problem('unauthorized', 'Wrong public or private key.'), { 'www-authenticate': 'Basic realm="shopbeacon"' });
    if (!req.headers['content-type']?.startsWith('application/json')) return send(415, problem('unsupported_media_type', 'JSON only.'));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, problem('invalid_body', 'The body is not JSON.'));
    }
    const rows = body.rows;
    const shapeErrors = [
      ...(typeof body.import === 'string' && /^imp_[\w-]{16}$/.test(body.import) ? [] : [{ field: 'import', reason: 'must be imp_ and 16 characters' }]),
      ...(typeof body.file === 'string' && body.file ? [] : [{ field: 'file', reason: 'missing' }]),
      ...(Number.isInteger(body.batch) && (body.batch as number) >= 0 ? [] : [{ field: 'batch', reason: 'must be a whole number ≥ 0' }]),
      ...(Number.isInteger(body.first_row) && (body.first_row as number) >= 1 ? [] : [{ field: 'first_row', reason: 'must be a whole number ≥ 1' }]),
      ...(Array.isArray(rows) ? [] : [{ field: 'rows', reason: 'must be a list' }]),
      ...(Array.isArray(rows) && rows.length > 1000 ? [{ field: 'rows', reason: 'more than 1000 rows' }] : []),
      ...Object.keys(body)
        .filter((k) => !['import', 'file', 'batch', 'first_row', 'rows', 'done'].includes(k))
        .map((k) => ({ field: k, reason: 'unknown key' })),
    ];
    const list = Array.isArray(rows) ? (rows as unknown[]) : [];
    const received: Received = {
      at: performance.now(),
      kind: match[1],
      import: String(body.import),
      file: String(body.file),
      batch: Number(body.batch),
      first_row: Number(body.first_row),
      rows: list.map((_, i) => Number(body.first_row) + i),
      done: body.done === true,
      status: 0,
    };
    const n = this.requests.push(received) - 1;
    if (shapeErrors.length) return send((received.status = 400), problem('invalid_fields', `${shapeErrors.length} fields are invalid; see fields`, shapeErrors));

    const delay = options.delayMs?.() ?? 0;
    if (delay > 0) await new Promise((ok) => setTimeout(ok, delay));
    const reply = options.intercept?.(received, n);
    if (reply === 'hang' || reply === 'stall') {
      received.status = reply === 'hang' ? -1 : -3;
      if (reply === 'stall') res.writeHead(200, { 'content-type': 'application/json' }).write('{"ok":tr');
      this.hanging.add(res);
      return;
    }
    if (reply === 'kill') {
      received.status = -2;
      return req.socket.destroy();
    }
    if (reply) {
      received.status = reply.status;
      return send(reply.status, reply.body ?? problem('test', `the test asked for ${reply.status}`), reply.retryAfter === undefined ? {} : { 'retry-after': String(reply.retryAfter) });
    }

    received.status = 200;
    if (received.done) {
      this.done.add(received.import);
      return send(200, { ok: true, done: true });
    }
    const rejected: { row: number; field: string; reason: string }[] = [];
    const good: TakenRow[] = [];
    list.forEach((r, i) => {
      const row = received.first_row + i;
      const before = rejected.length;
      if (!isObject(r)) rejected.push({ row, field: 'row', reason: 'not an object' });
      else {
        for (const k of Object.keys(r)) if (k !== 'data' && k !== 'request') rejected.push({ row, field: k, reason: 'unknown key' });
        if (!isObject(r.data)) rejected.push({ row, field: 'data', reason: 'missing' });
        else for (const [k, v] of Object.entries(r.data)) if (hasBad(v)) rejected.push({ row, field: `data[${k}]`, reason: 'is BAD' });
      }
      if (rejected.length === before) good.push({ kind: received.kind, import: received.import, batch: received.batch, row, data: (r as { data: Record<string, unknown> }).data });
    });
    const pair = `${received.import}#${received.batch}`;
    if (!this.batches.has(pair)) this.batches.set(pair, good.length);
    if (options.keepRows !== false)
      for (const t of good) {
        this.taken.push(t);
        this.held.set(keyOf(t.kind, t.data), t.data);
      }
    send(200, { ok: true, taken: good.length, rejected });
  }
}
