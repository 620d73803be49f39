// A webhook receiver on this machine, as a shop's automation tool would run one: it verifies each
// delivery with the standardwebhooks package unchanged (401 when it does not verify), answers 200
// (or what `status` says, for the retry tests) and keeps what it got.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

type Json = Record<string, any>;

export interface Received {
  id: string;
  status: number;
  payload: Json;
}

export async function startReceiver(status: (payload: Json) => number = () => 200) {
  const received: Received[] = [];
  let secret = '';
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let payload: Json;
      try {
        payload = new Webhook(secret).verify(body, headers) as Json;
      } catch {
        res.writeHead(401).end();
        return;
      }
      const answer = status(payload);
      received.push({ id: headers['webhook-id'], status: answer, payload });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    /** The endpoint's secret, once the Worker issued it. */
    useSecret: (s: string) => void (secret = s),
    /** Waits for what the test expects, with what arrived in the error if it does not. */
    async until(what: string, done: () => boolean, ms = 20_000) {
      for (const end = Date.now() + ms; Date.now() < end; ) {
        if (done()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${what}: not within ${ms / 1000} s; received ${JSON.stringify(received.map((r) => [r.id, r.status, r.payload.type]))}`);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
