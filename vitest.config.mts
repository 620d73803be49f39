import { defineConfig } from 'vitest/config';

// One `npm test` runs every project: the protocol's checks in Node, the SDK in happy-dom, the
// Worker inside workerd with a real local D1, the end-to-end tests that drive `npm run dev`
// from Node, and the import CLI against a fake of the Worker's import API.
export default defineConfig({
  test: {
    projects: ['packages/protocol/vitest.config.mts', 'packages/sdk/vitest.config.mts', 'packages/worker/vitest.config.mts', 'test/e2e/vitest.config.mts', 'test/import/vitest.config.mts'],
  },
});
