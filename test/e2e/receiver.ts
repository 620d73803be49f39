// A webhook receiver on this machine for the e2e tests (`npm run dev` sets WEBHOOKS_ALLOW_LOCAL=1,
// so an endpoint may be http://127.0.0.1): it verifies each delivery with the standardwebhooks
// package, unchanged, and the secret the test was shown (401 when it does not verify), answers
// 500 once when told to, and records what it took.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

type Json = Record<string, any>;

export interface Received {
  id: string;
  status: number;
  payload: Json;
}

export class Receiver {
  /** The endpoint's secret, as the API or the dashboard showed it. */
  secret = '';
  /** Answer the next verified delivery with 500. */
  failNext = false;
  readonly received: Received[] = [];
  private readonly server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let payload: Json;
      try {
        payload = new Webhook(this.secret).verify(body, headers) as Json;
      } catch {
        res.writeHead(401).end();
        return;
      }
      const status = this.failNext ? 500 : 200;
      this.failNext = false;
      this.received.push({ id: headers['webhook-id'], status, payload });
      res.writeHead(status).end();
    });
  });

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await new Promise<void>((r) => receiver.server.listen(0, '127.0.0.1', r));
    return receiver;
  }

  /** The URL of `path` on this receiver (every path is taken). */
  url(path = '/hooks') {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Until `done()`, polled every 100 ms; past `ms`, fails with what was received. */
  async until(what: string, done: () => boolean, ms = 20_000) {
    for (const end = Date.now() + ms; Date.now() < end; ) {
      if (done()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not within ${ms / 1000} s; received ${JSON.stringify(this.received.map((r) => [r.id, r.status, r.payload.type]))}`);
  }

  close() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}
