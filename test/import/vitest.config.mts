import { defineConfig } from 'vitest/config';

// The historical import CLI (scripts/import.ts): each test runs the real CLI as a child process
// against a fake of the Worker's import API (fake-worker.ts), plus unit tests of its modules.
// One file at a time: the rate, memory and kill tests measure a child, best alone on 2 cores.
export default defineConfig({
  test: {
    name: 'import',
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.test.ts'],
    setupFiles: ['./setup.ts'],
    environment: 'node',
    testTimeout: 60_000,
    fileParallelism: false,
  },
});
