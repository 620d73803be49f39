import { defineConfig } from 'vitest/config';

// The SDK's unit tests, in happy-dom (a DOM with a real cookie jar and public suffix list, and
// Web Storage). What leaves the browser is asserted on mocked sendBeacon and fetch.
export default defineConfig({
  test: {
    name: 'sdk',
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'https://www.shop.example/' } },
  },
});
