// Size is a feature of the script tag: dist/sdk.js is measured as it is served (brotli, quality 11).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/**
 * Issue 4's budget, 2,500 (its goal is 2,000; Plausible's page-view-only tracker is 2,355), and
 * 100 bytes more since page views redact email addresses and named query parameters before they
 * leave the page (protocol's redact.ts: +119 B, 2,431 → 2,550, after the required fields were
 * packed as text to pay for some of it). Issue 11 asked for 2,000: minifier options and folding
 * took 2,550 → 2,514, the store option (data-store, with its check) cost 72, so 2,595; then
 * batches sent as text, not Blobs, the cookie calls as two positional functions (cookie-jar /
 * cookie-lite), a flush timer per call, checks in fewer operations and no final newline took it
 * to 2,473, the limit now: 473 B over the goal, with every behaviour kept (the field names alone
 * are 268 B). /sdk.js holds it by checking field names and required fields only (src/flags.ts)
 * and by cookie-lite in cookie-jar's place; /sdk.debug.js, which checks every value, is not held
 * to it. `node packages/sdk/scripts/size.mjs` prints the figures.
 */
const BROTLI_LIMIT = 2473;
const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist');
const file = join(dist, 'sdk.js');

describe('dist/sdk.js', () => {
  it(`is at most ${BROTLI_LIMIT} bytes brotli`, () => {
    if (!existsSync(file)) throw new Error('packages/sdk/dist/sdk.js is missing: run `npx rollup -c` at the repository root first');
    const code = readFileSync(file);
    const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    console.log(`dist/sdk.js: ${code.length} B raw, ${gzipSync(code, { level: 9 }).length} B gzip, ${brotli} B brotli`);
    const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ file: 'sdk.js', bytes: code.length, brotli });
    expect(manifest.hash).toMatch(/^[0-9a-f]{8}$/);
    expect(brotli).toBeLessThanOrEqual(BROTLI_LIMIT);
  });
});
