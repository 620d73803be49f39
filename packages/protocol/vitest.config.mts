import { defineConfig } from 'vitest/config';

// The wire contract's checks on their own, in Node: what the Worker and the SDK build on.
export default defineConfig({
  test: {
    name: 'protocol',
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
  },
});
