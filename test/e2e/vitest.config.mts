import { defineConfig } from 'vitest/config';

// End-to-end: Node drives the real `npm run dev` (wrangler dev + local D1) started once in
// global-setup.ts, through the PHP client of examples/php, the README's curl commands and the
// `npm run site` CLI.
export default defineConfig({
  test: {
    name: 'e2e',
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    setupFiles: ['./stale-connections.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
