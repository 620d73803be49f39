// Whatever a client sends, the answer is never a 5xx: the fuzz corpus (fuzz-corpus.ts, which
// `npm run bench -- --cpu` measures too) mutates valid bodies (wrong types, nesting, prototype
// names, huge and odd values) for every route that reads one, then sends the worst cases of
// input size (a 63 KB field name, 2,000 fields, the deepest nesting, a full batch, …).
import { describe, expect, it } from 'vitest';
import { FUZZ_ROUNDS, fuzzCorpus } from './fuzz-corpus';
import { newSite, SELF } from './helpers';

describe('no 5xx for anything a client can send', () => {
  it(`updateOrder, updateCustomer, settings and /collect, ${FUZZ_ROUNDS} mutated bodies each way, then the worst cases of input size`, async () => {
    const site = await newSite();
    const statuses = new Map<number, number>();
    const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    for (const { method, path, headers, body, what } of fuzzCorpus(site)) {
      const res = await SELF.fetch(`https://tracker.test${path}`, { method, headers, body });
      seen(res.status);
      if (method === 'GET') {
        expect(res.status, `${what}: ${path.slice(path.indexOf('?') + 1, path.indexOf('?') + 301)}`).toBeLessThan(500);
        continue;
      }
      expect(res.status, `${what}: ${method} ${path} ${body!.slice(0, 300)}`).toBeLessThan(500);
      if (!path.startsWith('/dashboard')) expect(res.headers.get('content-type') ?? 'none', path).toMatch(/json|none/);
    }
    // What was taken can be read back: the views never choke on stored data.
    for (const path of ['/api/orders/recent', '/api/events/recent', '/api/rejections/recent', '/api/settings']) {
      const res = await SELF.fetch(`https://tracker.test${path}`, { headers: { authorization: site.auth } });
      expect(res.status, path).toBe(200);
    }
    // The generator reaches both outcomes: refusals and acceptances.
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
  }, 120_000);
});
